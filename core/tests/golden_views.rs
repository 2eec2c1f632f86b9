//! Golden player views (`tests/golden/views.json`): views of the golden full hunts under fixed
//! salts, with some stages found. The Node and browser tests read the same file.
//!
//! `XMARKS_BLESS=1 cargo test --test golden_views` fills in missing outputs, and refuses to change
//! an existing one unless `xmarks::hunt::view::VIEW` differs from the format the file was made
//! with.

mod common;

use serde::{Deserialize, Serialize};
use xmarks::hunt::view::{commitment, VIEW};
use xmarks::Hunt;

#[derive(Serialize, Deserialize)]
struct Doc {
    view: String,
    about: String,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize)]
struct Case {
    /// A full hunt under `tests/golden/`.
    hunt: String,
    salt: String,
    found: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical: Option<String>,
}

#[test]
fn golden_views_match() {
    let path = common::root().join("golden/views.json");
    let mut doc: Doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bless = common::blessing();
    assert!(
        !bless || doc.view == VIEW || doc.cases.iter().all(|c| c.canonical.is_none()),
        "views.json is {}",
        doc.view
    );
    let mut mismatches = Vec::new();
    for case in &mut doc.cases {
        let hunt =
            Hunt::from_json(&std::fs::read_to_string(common::root().join("golden").join(&case.hunt)).unwrap()).unwrap();
        let view = hunt.player_view(&case.salt, case.found);
        assert!(view.commits_to(&hunt, &case.salt), "{}", case.hunt);
        for (stage, seen) in hunt.stages.iter().zip(&view.stages) {
            assert_eq!(seen.commitment, commitment(&case.salt, &stage.site));
            assert_eq!(seen.site.is_some(), stage.number <= case.found);
        }
        let json = view.canonical_json();
        match &case.canonical {
            Some(expected) if *expected != json => mismatches.push(format!("{} found {}", case.hunt, case.found)),
            Some(_) => {}
            None if bless => case.canonical = Some(json),
            None => mismatches.push(format!("{} found {}: no output (XMARKS_BLESS=1)", case.hunt, case.found)),
        }
    }
    assert!(mismatches.is_empty(), "views differ: {mismatches:?}");
    assert_eq!(doc.view, VIEW);
    if bless {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    println!("compared {} golden views", doc.cases.len());
}
