//! The `xmarks` command as a user runs it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn xmarks() -> Command {
    let mut cmd = Command::cargo_bin("xmarks").unwrap();
    cmd.current_dir(repo());
    cmd
}

#[test]
fn hunt_prints_the_golden_canonical_json() {
    // Same inputs as the golden case proc-1-harbour-cy.
    let out = xmarks()
        .args(["hunt", "--seed", "1", "-t", "examples/harbour.json", "--player", "cy", "--start=-1200,800"])
        .args(["--level", "30", "--game", "3", "--round", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let golden = std::fs::read_to_string(repo().join("tests/golden/hunts/proc-1-harbour-cy.json")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), golden.trim_end());
}

#[test]
fn hunt_on_an_imported_csv_matches_its_golden_vector() {
    let template = std::env::temp_dir().join("xmarks-city-night.json");
    std::fs::write(
        &template,
        r#"{"clue_styles":["landmark"],"difficulty":5,"id":"city-night","leg":{"max":900,"min":200},"rewards":{"points":50,"treasure":{"item":"golden_key","points":5000}},"search_radius":2500,"spacing":150,"stages":8}"#,
    )
    .unwrap();
    let out = xmarks()
        .args(["hunt", "--import", "tests/worlds/harbour.csv", "-t", template.to_str().unwrap(), "--player", "cy"])
        .args(["--start=-800,200", "--level", "12", "--game", "7", "--round", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let golden = std::fs::read_to_string(repo().join("tests/golden/hunts/csv-city-night-cy-2.json")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), golden.trim_end());
}

#[test]
fn render_draws_terrain_route_and_the_x() {
    let out = std::env::temp_dir().join("xmarks-test-map.svg");
    xmarks().args(["render", "-t", "examples/harbour.json", "-o", out.to_str().unwrap()]).assert().success();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("data:image/png;base64,"), "terrain raster");
    assert!(svg.contains(r##"stroke="#b01010""##), "the X on the treasure");
    assert!(svg.contains("stroke-dasharray"), "the route");
    assert_eq!(svg.matches(r##"stroke="#8b1a1a" stroke-width="2"/>"##).count(), 4, "four numbered stage markers");
}

#[test]
fn world_summarises_procedural_and_imported_worlds() {
    let out = xmarks().args(["world", "--seed", "7", "--radius", "2000"]).output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["summary"]["sites"].as_u64().unwrap() > 100);
    let out = xmarks().args(["world", "--import", "tests/worlds/old-town.geojson"]).output().unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["world"]["sites"], 800);
}

#[test]
fn bad_input_fails_with_the_path_and_reason() {
    let template = std::env::temp_dir().join("xmarks-bad-template.json");
    std::fs::write(&template, r#"{"id":"t","stages":0}"#).unwrap();
    let out = xmarks().args(["hunt", "-t", template.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stages: 0 is not in 1..=50"));

    let csv = std::env::temp_dir().join("xmarks-bad.csv");
    std::fs::write(&csv, "id,x,y,kind,name\na,0,0,well,A\nb,oops,0,well,B\n").unwrap();
    let out = xmarks().args(["world", "--import", csv.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3: x \"oops\" is not a number"));
    let out = xmarks().args(["world", "--lenient", "--import", csv.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 1 malformed rows"));
}

#[test]
fn logic_evaluates_one_expression() {
    let out = xmarks()
        .args(["logic", r#"{"if":[{">":[{"var":"score"},100]},"gold","bronze"]}"#, r#"{"score":120}"#])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), r#""gold""#);
    let out = xmarks().args(["logic", r#"{"and":[true,{"frobnicate":1}]}"#]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#"and[1].frobnicate: unknown operator "frobnicate""#));
}

#[test]
fn play_then_replay_verifies_and_an_edit_is_caught() {
    let dir = std::env::temp_dir().join(format!("xmarks-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hunt = dir.join("hunt.json");
    let out = xmarks().args(["hunt", "-t", "examples/harbour.json"]).output().unwrap();
    std::fs::write(&hunt, out.stdout).unwrap();
    let log = dir.join("session.jsonl");
    let out =
        xmarks().args(["play", hunt.to_str().unwrap(), "--walk", "--log", log.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "completed");
    let out = xmarks().args(["replay", log.to_str().unwrap()]).output().unwrap();
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["state_hash"], last["state_hash"]);
    assert_eq!(verdict["valid"], true);

    let text = std::fs::read_to_string(&log).unwrap();
    let edited = text.replacen(r#""type":"dig","#, r#""type":"dig", "#, 1);
    std::fs::write(&log, edited).unwrap();
    let out = xmarks().args(["replay", log.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in canonical form"));
}

#[test]
fn play_reports_rejected_events_from_a_script() {
    let dir = std::env::temp_dir().join(format!("xmarks-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hunt = dir.join("hunt.json");
    let out = xmarks().args(["hunt", "-t", "examples/harbour.json"]).output().unwrap();
    std::fs::write(&hunt, out.stdout).unwrap();
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"type\":\"move\",\"t\":1000,\"x\":1,\"y\":1}\n{\"type\":\"move\",\"t\":2000,\"x\":900,\"y\":1}\nnot json\n",
    )
    .unwrap();
    let out = xmarks().args(["play", hunt.to_str().unwrap(), "--events", events.to_str().unwrap()]).output().unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[1]["rejected"], "too_fast");
    assert_eq!(lines[2]["rejected"], "malformed");
    assert_eq!(lines[3]["events"], 1);
}

#[test]
fn rules_check_lists_every_problem() {
    let file = std::env::temp_dir().join("xmarks-bad-rules.json");
    std::fs::write(&file, r#"{"id":"x","rules":[{"id":"a","on":["dig"],"when":{"foo":1},"then":[{"explode":1}]}]}"#)
        .unwrap();
    let out = xmarks().args(["rules", "check", file.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(r#"rules[0].when.foo: unknown operator "foo""#), "{stderr}");
    assert!(stderr.contains(r#"rules[0].then[0].explode: unknown effect "explode""#), "{stderr}");
    let out = xmarks().args(["rules", "check", "core/data/rules.default.json"]).output().unwrap();
    assert!(out.status.success());
    // Its orderings can raise (a number against a non-number); its effects cannot.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("its effects"));
    // The current operators check too, and rules that can raise are pointed out.
    std::fs::write(
        &file,
        r#"{"id":"x","rules":[{"id":"share","on":["dig"],"when":{"exists":["event","x"]},"then":[{"add_points":{"/":[100,{"val":["session","digs"]}]}}]},
            {"id":"safe","on":["dig"],"then":[{"add_points":{"try":[{"/":[100,{"var":"session.digs"}]},0]}}]}]}"#,
    )
    .unwrap();
    let out = xmarks().args(["rules", "check", file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("note: rules[0] (share): its effects can raise an error"), "{stdout}");
    assert!(!stdout.contains("rules[1]"), "{stdout}");
}

/// The golden Earth case earth-taveuni-antimeridian, from the command line.
fn taveuni_template() -> PathBuf {
    let template = std::env::temp_dir().join("xmarks-islands.json");
    std::fs::write(
        &template,
        r#"{"id":"islands","stages":5,"difficulty":3,"leg":{"min":300,"max":1500},"search_radius":3500,"spacing":200,"max_speed":5,"time_limit_s":7200}"#,
    )
    .unwrap();
    template
}

#[test]
fn earth_starts_are_given_in_either_order_spelled_out() {
    let template = taveuni_template();
    let golden = std::fs::read_to_string(repo().join("tests/golden/hunts/earth-taveuni-antimeridian.json")).unwrap();
    for start in [
        vec!["--start", "lon=180,lat=-16.8"],
        vec!["--start", "lat=-16.8,lon=180"],
        vec!["--lonlat", "180,-16.8"],
        vec!["--latlon=-16.8,180"],
    ] {
        let out = xmarks()
            .args(["hunt", "--import", "tests/worlds/earth.csv", "-t", template.to_str().unwrap(), "--player", "ana"])
            .args(&start)
            .args(["--level", "4", "--game", "12", "--round", "3"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{start:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), golden.trim_end(), "{start:?}");
    }
    // The everyday order given as GeoJSON's is caught: a latitude of 180 is no latitude.
    let out = xmarks()
        .args(["hunt", "--import", "tests/worlds/earth.csv", "-t", template.to_str().unwrap(), "--lonlat", "-16.8,180"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lat 180.0 is not in -90..=90"), "{out:?}");
    // A planar start on an Earth world says which coordinates the world wants.
    let out = xmarks()
        .args(["hunt", "--import", "tests/worlds/earth.csv", "-t", template.to_str().unwrap(), "--start=100,200"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lon and lat (degrees)"), "{out:?}");
}

#[test]
fn render_draws_an_earth_hunt_in_a_local_projection_with_a_scale_and_north() {
    let out = std::env::temp_dir().join("xmarks-test-earth-map.svg");
    let template = taveuni_template();
    xmarks()
        .args(["render", "--import", "tests/worlds/earth.csv", "-t", template.to_str().unwrap()])
        .args(["--player", "ana", "--lonlat", "180,-16.8", "--level", "4", "--game", "12", "--round", "3"])
        .args(["-o", out.to_str().unwrap()])
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("azimuthal equidistant around 16°48.000′S 180°00.000′E"), "the projection is named");
    assert!(svg.contains(">N</text>"), "a north arrow");
    assert!(svg.contains(" m</text>"), "a scale bar");
    assert!(svg.contains(r##"stroke="#b01010""##), "the X on the treasure");
    assert_eq!(svg.matches(r##"stroke="#8b1a1a" stroke-width="2"/>"##).count(), 4, "four numbered stage markers");
    // Sites on both sides of the antimeridian are drawn: more than the stages and landmarks.
    assert!(svg.matches("<circle").count() + svg.matches("<rect x").count() > 60, "the sites around");
}

#[test]
fn world_summarises_an_earth_world() {
    let out = xmarks().args(["world", "--import", "tests/worlds/earth.csv"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["world"]["kind"], "earth");
    assert_eq!(v["world"]["sites"], 5800);
    // Its box in degrees: McMurdo to beyond Reykjavik, and a run of longitudes across the
    // antimeridian (Taveuni's), so west is east of east.
    let b = &v["bounds"];
    assert!(b["min"]["y"].as_f64().unwrap() < -77.0 && b["max"]["y"].as_f64().unwrap() > 64.0, "{b}");
    assert!(b["min"]["x"].as_f64().unwrap() > b["max"]["x"].as_f64().unwrap(), "{b}");
    let projected =
        xmarks().args(["world", "--import", "tests/worlds/earth.csv", "--projection", "local"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&projected.stdout).unwrap();
    assert_eq!(v["world"]["kind"], "imported");
}
