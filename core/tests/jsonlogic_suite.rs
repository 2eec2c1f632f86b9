//! The shared JsonLogic suite (`tests/jsonlogic/tests.json`, 278 cases): every case must pass.

use serde_json::Value;
use xmarks::rules::logic::{value::num_json, Logic};

/// Numbers compare as JavaScript numbers: 1 and 1.0 are the same.
fn normalise(v: &Value) -> Value {
    match v {
        Value::Number(n) => num_json(n.as_f64().unwrap_or(f64::NAN)),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), normalise(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_case_of_the_shared_suite_passes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/jsonlogic/tests.json");
    let suite: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in suite.iter().filter_map(Value::as_array) {
        let (rule, data, expected) = (&case[0], &case[1], &case[2]);
        let got = match Logic::compile(rule) {
            Ok(logic) => logic.apply(data).map_or_else(|e| Value::String(format!("raised {e}")), |v| normalise(&v)),
            Err(e) => Value::String(format!("compile error: {e}")),
        };
        if got == normalise(expected) {
            passed += 1;
        } else {
            failures.push(format!("{rule} with {data}: expected {expected}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        passed + failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, 278);
    println!("JsonLogic suite: {passed} of 278 cases pass");
}
