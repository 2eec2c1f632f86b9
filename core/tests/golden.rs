//! Golden hunt vectors (`tests/golden/hunts.json`): fixed inputs and the outputs every target
//! must reproduce byte for byte. The Node and browser tests read the same file.
//!
//! `XMARKS_BLESS=1 cargo test --test golden` fills in missing outputs. It refuses to change an
//! existing output unless `xmarks::hunt::GENERATOR` differs from the version the file was made
//! with: a changed output needs a generator bump and a CHANGELOG line.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xmarks::hunt::GENERATOR;
use xmarks::Coded;
use xmarks::{generate, Player, Seeds, Template};

#[derive(Serialize, Deserialize)]
struct Doc {
    generator: String,
    about: String,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize, Clone)]
struct Case {
    name: String,
    world: Value,
    template: Value,
    seeds: Value,
    player: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    full: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Failure>,
}

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct Failure {
    code: String,
    message: String,
}

mod common;
use common::root;

/// Runs one case the way a game would: inputs arrive as JSON text.
fn run(case: &Case) -> Result<String, Failure> {
    let w = common::world(&case.world);
    let template = Template::from_json(&case.template.to_string())
        .map_err(|e| Failure { code: "template_invalid".into(), message: format!("template.{e}") })?;
    let seeds: Seeds = serde_json::from_value(case.seeds.clone()).unwrap();
    let player: Player = serde_json::from_value(case.player.clone()).unwrap();
    generate(&w, &template, &seeds, &player)
        .map(|h| h.canonical_json())
        .map_err(|e| Failure { code: e.code().into(), message: e.to_string() })
}

#[test]
fn golden_hunts_match() {
    let path = root().join("golden/hunts.json");
    let mut doc: Doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bless = common::blessing();
    assert!(doc.cases.len() >= 50, "at least 50 golden cases");
    let mut mismatches = Vec::new();
    let mut fulls = 0;
    for case in &mut doc.cases {
        let got = run(case);
        let (fingerprint, error) = match &got {
            Ok(json) => {
                (Some(serde_json::from_str::<Value>(json).unwrap()["fingerprint"].as_str().unwrap().to_owned()), None)
            }
            Err(f) => (None, Some(f.clone())),
        };
        let had_output = case.fingerprint.is_some() || case.error.is_some();
        if had_output && (case.fingerprint != fingerprint || case.error != error) {
            mismatches.push(format!(
                "{}: expected {:?} {:?}, got {:?} {:?}",
                case.name, case.fingerprint, case.error, fingerprint, error
            ));
        }
        if let (Some(full), Ok(json)) = (&case.full, &got) {
            let file = root().join("golden").join(full);
            match std::fs::read_to_string(&file) {
                Ok(expected) if expected.trim_end() == json => fulls += 1,
                Ok(_) => mismatches.push(format!("{}: canonical JSON differs from {full}", case.name)),
                Err(_) if bless => {}
                Err(e) => mismatches.push(format!("{}: {full}: {e}", case.name)),
            }
            if bless {
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, format!("{json}\n")).unwrap();
            }
        }
        if bless {
            case.fingerprint = fingerprint;
            case.error = error;
        }
    }
    if common::finish(&mut doc.generator, GENERATOR, &mismatches) {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    println!("compared {} golden hunts ({} with full canonical JSON)", doc.cases.len(), fulls);
}
