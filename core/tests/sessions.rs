//! Sessions as a game plays them: a full hunt, every anti-cheat class, caps, hints, time limits,
//! snapshots, and replay of logs.

use std::sync::Arc;
use xmarks::progress::PROGRESS_EVERY;
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line, replay, replay_with_progress};
use xmarks::session::script::walkthrough;
use xmarks::session::{Event, Format, Outcome, Rejection, Session, Status};
use xmarks::Coded;
use xmarks::{generate, Hunt, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};

fn hunt(template: &str) -> Hunt {
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let t = Template::from_json(template).unwrap();
    let p = Player::new("ann", Point::new(0.0, 0.0));
    generate(&world, &t, &Seeds { game: 1, round: 1 }, &p).unwrap()
}

fn harbour() -> Hunt {
    hunt(
        r#"{"id":"harbour","stages":4,"difficulty":3,"leg":{"min":100,"max":600},"search_radius":1200,"time_limit_s":7200}"#,
    )
}

fn session(h: &Hunt) -> Session {
    Session::new(h.clone(), Arc::new(Ruleset::default_rules()), 1_000_000)
}

/// Applies events, returning all outcomes; panics on a rejection.
fn play(s: &mut Session, events: &[Event]) -> Vec<Outcome> {
    events.iter().flat_map(|e| s.apply(e).unwrap_or_else(|r| panic!("{e:?} refused: {r}"))).collect()
}

#[test]
fn a_scripted_player_finishes_the_hunt_with_the_treasure() {
    let h = harbour();
    let mut s = session(&h);
    let out = play(&mut s, &walkthrough(&h, 1_000_000));
    let stages: Vec<u32> = out
        .iter()
        .filter_map(|o| if let Outcome::StageCompleted { stage } = o { Some(*stage) } else { None })
        .collect();
    assert_eq!(stages, [1, 2, 3, 4]);
    assert!(out.contains(&Outcome::HuntCompleted));
    let treasure = h.stages[3].treasure.as_ref().unwrap();
    assert_eq!(s.state().items.get(&treasure.item), Some(&1));
    let stage_points: i64 = h.stages.iter().map(|st| i64::from(st.reward.points)).sum();
    // Walking at 90% of the speed limit beats one metre per second: the speed bonus is paid.
    assert_eq!(s.state().points, stage_points + i64::from(treasure.points) + 250);
    assert_eq!(s.state().status, Status::Completed);
}

#[test]
fn the_current_stage_follows_the_walk_and_ends_with_the_hunt() {
    let h = harbour();
    let mut s = session(&h);
    let mut seen = vec![s.current().map(|st| st.number)];
    for e in walkthrough(&h, 1_000_000) {
        s.apply(&e).unwrap();
        if seen.last() != Some(&s.current().map(|st| st.number)) {
            seen.push(s.current().map(|st| st.number));
        }
        if let Some(stage) = s.current() {
            assert_eq!(stage, &h.stages[s.state().stage as usize]);
        }
    }
    assert_eq!(seen, [Some(1), Some(2), Some(3), Some(4), None]);
}

#[test]
fn every_cheat_is_refused_and_changes_nothing() {
    let h = harbour();
    let mut s = session(&h);
    let script = walkthrough(&h, 1_000_000);
    play(&mut s, &script[..5]);
    let Event::Move { t, at, .. } = script[4].clone() else { panic!() };
    let Point { x, y } = at.as_point().unwrap();
    let cases: Vec<(Event, &str)> = vec![
        (Event::move_to(t + 1000, Point::new(x + 500.0, y)), "too_fast"),
        (Event::move_to(t - 1, Point::new(x, y)), "time_reversed"),
        (Event::dig_at(t + 1000, Point::new(x + 50.0, y)), "dig_away"),
        (script[4].clone(), "duplicate"),
        (Event::ClaimResult { t: t + 1000, claim: "9:crown".into(), granted: true }, "unknown_claim"),
        (Event::Use { t: t + 1000, item: "pirate_chest".into() }, "unknown_item"),
        (Event::Answer { t: t + 1000, stage: 9, answer: "x".into() }, "unknown_stage"),
        (Event::move_to(t + 1000, Point::new(f64::NAN, y)), "invalid"),
        (Event::move_to(t + 1000, Point::new(f64::INFINITY, y)), "invalid"),
    ];
    for (event, code) in cases {
        let before = (s.state_hash(), s.snapshot());
        let err = s.apply(&event).unwrap_err();
        assert_eq!(err.code(), code, "{event:?}: {err}");
        assert_eq!((s.state_hash(), s.snapshot()), before, "{code} changed the state");
    }
    // After the hunt ends, nothing more is accepted.
    play(&mut s, &script[5..]);
    let last = script.last().unwrap().clone();
    assert_eq!(s.apply(&Event::Tick { t: last_t(&last) + 1 }).unwrap_err(), Rejection::HuntOver);
}

fn last_t(e: &Event) -> u64 {
    e.t()
}

#[test]
fn three_misses_reveal_a_hint_pointing_at_the_site() {
    let h = harbour();
    let mut s = session(&h);
    let site = h.stages[0].site.pos.as_point().unwrap();
    // Stand 5 m west of the first site (teleport-free: the start is within speed over 10 minutes).
    let here = Point::new(site.x - 40.0, site.y);
    play(&mut s, &[Event::move_to(1_600_000, Point::new(here.x, here.y))]);
    let mut hints = Vec::new();
    for i in 1..=3 {
        for o in play(&mut s, &[Event::dig_at(1_600_000 + i * 1000, Point::new(here.x, here.y))]) {
            if let Outcome::Hint { text, stage, .. } = o {
                hints.push((i, stage, text));
            }
        }
    }
    assert_eq!(hints, [(3, 1, "Dig closer: the spot is east of you.".to_owned())]);
}

#[test]
fn the_time_limit_fails_the_hunt() {
    let h = harbour();
    let mut s = session(&h);
    let out = play(&mut s, &[Event::Tick { t: 1_000_000 + 7_200_001 }]);
    assert_eq!(out, [Outcome::HuntFailed { reason: "time limit reached".into() }]);
    assert_eq!(s.state().status, Status::Failed);
    assert_eq!(s.current(), None, "a failed hunt has no stage to play");
}

fn capped_rules() -> Arc<Ruleset> {
    let mut spec: serde_json::Value = serde_json::from_str(xmarks::rules::DEFAULT_RULES).unwrap();
    spec["rules"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "crown-for-the-first-finders", "on": ["hunt_completed"],
        "then": [{"give_item": "crown"}, {"message": "You are among the first!"}],
        "cap": {"key": "crown", "limit": 100}
    }));
    Arc::new(Ruleset::from_json(&spec.to_string()).unwrap())
}

#[test]
fn capped_rules_claim_and_only_a_granted_claim_pays() {
    let h = harbour();
    for granted in [true, false] {
        let mut s = Session::new(h.clone(), capped_rules(), 1_000_000);
        let out = play(&mut s, &walkthrough(&h, 1_000_000));
        let claim = out.iter().find_map(|o| match o {
            Outcome::Claim { claim, cap, limit, .. } => Some((claim.clone(), cap.clone(), *limit)),
            _ => None,
        });
        let (claim, cap, limit) = claim.expect("a claim");
        assert_eq!((cap.as_str(), limit), ("crown", 100));
        assert!(!s.state().items.contains_key("crown"), "nothing before the host answers");
        // The hunt is complete, but the host's answer is still accepted.
        let t = s.state().t + 10;
        let out = s.apply(&Event::ClaimResult { t, claim: claim.clone(), granted });
        let out = out.unwrap();
        assert_eq!(s.state().items.contains_key("crown"), granted);
        assert_eq!(out.is_empty(), !granted);
        // The same claim cannot be answered twice.
        assert_eq!(
            s.apply(&Event::ClaimResult { t: t + 1, claim, granted: true }).unwrap_err().code(),
            "unknown_claim"
        );
    }
}

#[test]
fn logs_replay_to_the_same_state_and_outcomes() {
    let h = harbour();
    let mut s = Session::new(h.clone(), capped_rules(), 1_000_000);
    let mut log = vec![header(&s)];
    let mut live = Vec::new();
    for e in walkthrough(&h, 1_000_000) {
        live.push(s.apply(&e).unwrap());
        log.push(line(&s, &e));
    }
    let text = log.join("\n") + "\n";
    let r = replay(&text).unwrap();
    assert_eq!(r.session.state_hash(), s.state_hash());
    assert_eq!(r.outcomes, live);

    // Dropped, inserted (duplicated) and reordered lines are found.
    let mut dropped = log.clone();
    dropped.remove(3);
    assert!(replay(&dropped.join("\n")).unwrap_err().to_string().starts_with("line 4: seq"));
    let mut duplicated = log.clone();
    duplicated.insert(3, log[3].clone());
    assert!(replay(&duplicated.join("\n")).is_err());
    let mut swapped = log.clone();
    swapped.swap(3, 4);
    assert!(replay(&swapped.join("\n")).is_err());
}

#[test]
fn a_missed_dig_says_so_and_a_format_1_session_goes_on_in_format_1() {
    let h = harbour();
    let rules = Arc::new(Ruleset::default_rules());
    // The walk to the first stage, then a dig 60 m east of its site, well after arriving.
    let walk: Vec<Event> =
        walkthrough(&h, 1_000_000).into_iter().take_while(|e| !matches!(e, Event::Dig { .. })).collect();
    let off = h.stages[0].site.pos.towards(90.0, 60.0);
    let t = walk.last().unwrap().t();
    let miss = [Event::move_to(t + 120_000, off), Event::dig_at(t + 121_000, off)];
    let again = Event::dig_at(t + 122_000, off);

    let mut now = Session::new(h.clone(), rules.clone(), 1_000_000);
    assert_eq!(now.format(), Format::CURRENT);
    play(&mut now, &walk);
    assert_eq!(play(&mut now, &miss), [Outcome::Missed { stage: 1, misses: 1 }]);
    assert_eq!(now.apply(&again).unwrap(), [Outcome::Missed { stage: 1, misses: 2 }]);

    // Format 1 said nothing; its log names it, and a replay goes on in it.
    let mut old = Session::new_in(Format::V1, h.clone(), rules, 1_000_000);
    let mut log = vec![header(&old)];
    for e in walk.iter().chain(&miss) {
        assert!(!old.apply(e).unwrap().iter().any(|o| matches!(o, Outcome::Missed { .. })));
        log.push(line(&old, e));
    }
    assert!(log[0].contains(r#""session":"xmarks-session/1""#), "{}", log[0]);
    assert_ne!(old.state().chain, now.state().chain, "the format is bound into the chain");
    let mut replayed = replay(&log.join("\n")).unwrap().session;
    assert_eq!(replayed.format(), Format::V1);
    assert_eq!(replayed.state_hash(), old.state_hash());
    assert_eq!(replayed.apply(&again).unwrap(), []);
    assert_eq!(replayed.state().misses, 2);
}

#[test]
fn a_long_replay_reports_its_progress() {
    let h = harbour();
    let mut s = Session::new(h.clone(), Arc::new(Ruleset::default_rules()), 1_000_000);
    let mut log = vec![header(&s)];
    let events = 2 * PROGRESS_EVERY + 100;
    for k in 1..=events {
        let e = Event::Tick { t: 1_000_000 + k };
        s.apply(&e).unwrap();
        log.push(line(&s, &e));
    }
    let mut seen = Vec::new();
    let r = replay_with_progress(&log.join("\n"), &mut |p| seen.push((p.done, p.total))).unwrap();
    assert_eq!(r.session.state_hash(), s.state_hash());
    assert_eq!(seen, [(PROGRESS_EVERY, events), (2 * PROGRESS_EVERY, events), (events, events)]);
}

#[test]
fn a_restored_snapshot_goes_on_like_the_original() {
    let h = harbour();
    let script = walkthrough(&h, 1_000_000);
    let mut whole = session(&h);
    play(&mut whole, &script);
    let mut first = session(&h);
    play(&mut first, &script[..20]);
    let mut second = Session::restore(h.clone(), Arc::new(Ruleset::default_rules()), &first.snapshot()).unwrap();
    play(&mut second, &script[20..]);
    assert_eq!(second.state_hash(), whole.state_hash());
    assert!(Session::restore(h, Arc::new(Ruleset::default_rules()), "{").is_err());
}

#[test]
fn malformed_events_are_refused_before_they_reach_a_session() {
    for text in [
        "{",
        r#"{"type":"teleport","t":1}"#,
        r#"{"type":"move","t":1,"x":1e999,"y":0}"#,
        r#"{"type":"move","t":-1,"x":0,"y":0}"#,
        r#"{"type":"move","t":1,"x":0,"y":0,"z":3}"#,
        r#"{"type":"dig","t":1}"#,
        r#"{"type":"tick","t":1,"x":0}"#,
        r#"{"type":"use","t":1,"item":"k","granted":true}"#,
    ] {
        assert_eq!(Event::from_json(text).unwrap_err().code(), "malformed", "{text}");
    }
    let huge = format!(r#"{{"type":"answer","t":1,"stage":1,"answer":"{}"}}"#, "x".repeat(5000));
    assert!(Event::from_json(&huge).unwrap_err().to_string().contains("larger than"));
}

#[test]
fn a_rule_that_raises_is_a_rule_error_and_applies_nothing() {
    let h = harbour();
    // "bad-when" raises in its condition; "half" gives points, then raises in its second effect;
    // "caught" reads a missing flag through `try`.
    let rules = Ruleset::from_json(
        r#"{"id":"raising","rules":[
            {"id":"bad-when","on":["dig"],"when":{"<":[{"var":"event.x"},"north"]},"then":[{"add_points":1}]},
            {"id":"half","on":["dig"],"then":[{"add_points":5},{"give_item":"map"},{"add_points":{"/":[10,{"var":"session.digs"}]}}]},
            {"id":"caught","on":["dig"],"then":[{"add_points":{"try":[{"/":[10,{"var":"session.digs"}]},3]}}]}
        ]}"#,
    )
    .unwrap();
    assert!(!rules.rules[0].effects_may_throw);
    assert!(rules.rules[1].effects_may_throw);
    assert!(!rules.rules[2].effects_may_throw);
    let mut s = Session::new(h.clone(), Arc::new(rules), 1_000_000);
    let before = s.state().clone();
    // The first dig (a miss): session.digs is already 1 when rules run, so only the condition raises.
    let out = s.apply(&Event::dig_at(1_001_000, Point::new(0.0, 0.0))).unwrap();
    assert_eq!(out[0], Outcome::Missed { stage: 1, misses: 1 });
    assert_eq!(out[1], Outcome::RuleError { rule: "bad-when".into(), at: "when".into(), error: "NaN".into() });
    assert!(out.contains(&Outcome::ItemGiven { rule: "half".into(), item: "map".into(), count: 1 }));
    assert_eq!(s.state().points, 5 + 10 + 10);
    assert_eq!(before.points, 0);
    // Now the third effect always raises (a bearing is a word, not a number).
    let rules = Ruleset::from_json(
        r#"{"id":"raising","rules":[
            {"id":"half","on":["dig"],"then":[{"add_points":5},{"give_item":"map"},{"add_points":{"-":[{"var":"event.bearing"}]}}]},
            {"id":"caught","on":["dig"],"then":[{"add_points":{"try":[{"-":[{"var":"event.bearing"}]},3]}}]}
        ]}"#,
    )
    .unwrap();
    let mut s = Session::new(h.clone(), Arc::new(rules), 1_000_000);
    let dig = Event::dig_at(1_001_000, Point::new(0.0, 0.0));
    let out = s.apply(&dig).unwrap();
    assert_eq!(
        out,
        [
            Outcome::Missed { stage: 1, misses: 1 },
            Outcome::Points { rule: "caught".into(), delta: 3, total: 3 },
            Outcome::RuleError { rule: "half".into(), at: "then[2]".into(), error: "NaN".into() },
        ]
    );
    // Nothing of "half" stayed: no points from its first effect, no item, not counted as fired.
    assert_eq!(s.state().points, 3);
    assert!(s.state().items.is_empty());
    // The log replays to the same state, rule errors and all.
    let log = [header(&s), line(&s, &dig)].join("\n") + "\n";
    let replayed = replay(&log).unwrap();
    assert_eq!(replayed.session.state_hash(), s.state_hash());
}
