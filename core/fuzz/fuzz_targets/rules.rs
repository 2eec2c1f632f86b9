//! Any text as a ruleset, and any JSON as a bare JsonLogic rule with data: parsing, compiling and
//! evaluating never panic; a valid ruleset plays the scripted walk, and its log replays to the
//! same state.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use xmarks::rules::logic::Logic;
use xmarks::rules::Ruleset;
use xmarks::session::{log, Session};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A bare rule and its data: the text split at the first newline.
    let (rule, rest) = text.split_once('\n').unwrap_or((text, "null"));
    if let (Ok(logic), Ok(data)) = (Logic::from_json(rule), serde_json::from_str::<serde_json::Value>(rest)) {
        let _ = logic.apply(&data);
    }
    let Ok(rules) = Ruleset::from_json(text) else { return };
    let f = xmarks_fuzz::fixture();
    let mut session = Session::new(f.hunt.clone(), Arc::new(rules), 0);
    let mut lines = vec![log::header(&session)];
    for event in f.walk.iter().take(400) {
        if session.apply(event).is_ok() {
            lines.push(log::line(&session, event));
        }
    }
    let replayed = log::replay(&lines.join("\n")).expect("a session's own log replays");
    assert_eq!(replayed.session.state_hash(), session.state_hash());
});
