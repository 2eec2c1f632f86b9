//! Hostile rulesets and logs: typed errors with a path, never a panic.

use xmarks::rules::{Ruleset, MAX_RULES, MAX_RULESET_BYTES};
use xmarks::session::log::replay;

fn rules_err(text: &str) -> String {
    Ruleset::from_json(text).unwrap_err().to_string()
}

#[test]
fn rulesets_over_the_limits_are_refused() {
    let rule = |i: usize| format!(r#"{{"id":"r{i}","on":["dig"],"then":[]}}"#);
    let many = format!(r#"{{"id":"x","rules":[{}]}}"#, (0..=MAX_RULES).map(rule).collect::<Vec<_>>().join(","));
    assert_eq!(rules_err(&many), format!("rules: has {} rules, more than {MAX_RULES}", MAX_RULES + 1));
    let huge = format!(
        r#"{{"id":"x","rules":[{{"id":"a","on":["dig"],"then":[{{"message":"{}"}}]}}]}}"#,
        "x".repeat(MAX_RULESET_BYTES)
    );
    assert!(rules_err(&huge).starts_with("$: ruleset is larger than"));
    let long_id = format!(r#"{{"id":"x","rules":[{{"id":"{}","on":["dig"],"then":[]}}]}}"#, "a".repeat(65));
    assert_eq!(rules_err(&long_id), "rules[0].id: must be 1 to 64 bytes");
}

#[test]
fn deep_nesting_in_a_ruleset_is_an_error_not_a_stack_overflow() {
    let deep = format!(
        r#"{{"id":"x","rules":[{{"id":"a","on":["dig"],"when":{}true{},"then":[]}}]}}"#,
        r#"{"!":["#.repeat(100_000),
        "]}".repeat(100_000)
    );
    assert!(Ruleset::from_json(&deep).is_err());
    let mut when = "true".to_owned();
    for _ in 0..70 {
        when = format!(r#"{{"!":{when}}}"#);
    }
    let text = format!(r#"{{"id":"x","rules":[{{"id":"a","on":["dig"],"when":{when},"then":[]}}]}}"#);
    assert!(rules_err(&text).contains("nesting deeper than 64"), "{}", rules_err(&text));
}

#[test]
fn malformed_logs_name_the_line() {
    let cases = [
        ("", "line 1: the log is empty"),
        ("not json\n", "line 1: header: expected ident at line 1 column 2"),
        (r#"{"session":"xmarks-session/0","hunt":{},"rules":{},"started_ms":0}"#, "line 1: header: "),
    ];
    for (log, start) in cases {
        let err = replay(log).unwrap_err().to_string();
        assert!(err.starts_with(start), "{err}");
    }
}
