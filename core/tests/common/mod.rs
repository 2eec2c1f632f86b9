#![allow(dead_code)] // each test binary uses some of these
//! What the golden-vector tests share: where the files are, and the rule for rewriting them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use xmarks::world::import::Projection;
use xmarks::{
    import_csv, import_geojson, Bounds, Hunt, ImportOptions, Player, Point, Position, ProceduralWorld, Template, World,
    WorldConfig,
};

/// The cross-target conformance folder, `tests/` at the repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// Whether this run writes golden outputs (`XMARKS_BLESS=1`) instead of checking them.
pub fn blessing() -> bool {
    std::env::var_os("XMARKS_BLESS").is_some()
}

/// Ends a golden test. Checking: the file's version must be `current` and nothing may differ.
/// Blessing: sets the file's version to `current` and returns true (the caller writes the file),
/// but refuses when an existing output changed while the version stayed the same.
pub fn finish(file_version: &mut String, current: &str, mismatches: &[String]) -> bool {
    if blessing() {
        assert!(
            file_version != current || mismatches.is_empty(),
            "refusing to bless: outputs changed but the version is still {current}:\n{}",
            mismatches.join("\n")
        );
        *file_version = current.to_owned();
        return true;
    }
    assert_eq!(file_version, current, "golden file was made by another version");
    assert!(mismatches.is_empty(), "{} golden cases differ:\n{}", mismatches.len(), mismatches.join("\n"));
    false
}

/// The world a golden case names: `{"procedural": {"seed", "config"?}}`, or a file under `tests/`
/// imported with the case's options: `{"csv": path}` or `{"geojson": path}`, with `"projection":
/// "local"` for lon/lat data projected onto a plane (an Earth world otherwise). The Node and
/// browser runner (`tests/conformance/run.mjs`) reads the same specs.
pub fn world(spec: &Value) -> World {
    if let Some(p) = spec.get("procedural") {
        let config: WorldConfig =
            p.get("config").map_or_else(WorldConfig::default, |c| serde_json::from_value(c.clone()).unwrap());
        return World::Procedural(ProceduralWorld::new(p["seed"].as_u64().unwrap(), config).unwrap());
    }
    let projection = spec.get("projection").map(|p| serde_json::from_value::<Projection>(p.clone()).unwrap());
    let options = ImportOptions { projection, ..ImportOptions::default() };
    if let Some(file) = spec.get("csv").and_then(Value::as_str) {
        return import_csv(&std::fs::read(root().join(file)).unwrap(), options).unwrap().0;
    }
    let file = spec["geojson"].as_str().expect("world is procedural, csv or geojson");
    import_geojson(&std::fs::read_to_string(root().join(file)).unwrap(), options).unwrap().0
}

/// Every constraint of the template holds on the hunt, and every stage is a real site of the world.
pub fn check(h: &Hunt, t: &Template, p: &Player, world: &World) {
    assert_eq!(h.stages.len(), t.stages as usize);
    let mut prev = p.start;
    for (i, st) in h.stages.iter().enumerate() {
        let pos = st.site.pos;
        let leg = prev.distance(pos);
        assert!(leg >= t.leg.min && leg <= t.leg.max, "stage {} leg {leg} outside {:?}", i + 1, t.leg);
        assert!(p.start.distance(pos) <= t.search_radius, "stage {} outside the search radius", i + 1);
        let kinds = t.kinds_at(i);
        assert!(kinds.is_empty() || kinds.contains(&st.site.kind), "stage {} kind {}", i + 1, st.site.kind);
        assert!(!p.found.contains(&st.site.id), "stage {} reuses found site {}", i + 1, st.site.id);
        for other in &h.stages[..i] {
            assert!(other.site.pos.distance(pos) >= t.spacing, "stages {} and {} too close", other.number, i + 1);
        }
        assert_eq!(st.treasure.is_some(), i + 1 == h.stages.len());
        let around = match pos {
            Position::Plane(p) => Bounds::around(p, 0.01),
            Position::Earth(p) => Bounds::around(Point::new(p.lon, p.lat), 1e-9),
        };
        let here = world.sites_in(around).unwrap();
        assert!(here.contains(&st.site), "stage {} is not a site of the world", i + 1);
        prev = pos;
    }
    assert_eq!(Hunt::new(h.body.clone()).fingerprint, h.fingerprint);
}
