//! The current JSON Logic specification, case by case (`tests/jsonlogic/current.json`): the value
//! each rule gives, or the error it raises. The same file runs through the npm package.

use serde_json::Value;
use xmarks::rules::logic::Logic;

#[test]
fn every_case_of_the_current_specification_passes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/jsonlogic/current.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases.iter().filter(|c| c.is_object()) {
        let logic = Logic::compile(&case["rule"]).unwrap_or_else(|e| panic!("{}: {e}", case["about"]));
        let got = match logic.apply(&case["data"]) {
            Ok(v) => ("result", v),
            Err(e) => ("error", e.0.to_json()),
        };
        let want = if case.get("error").is_some() { ("error", &case["error"]) } else { ("result", &case["result"]) };
        if (got.0, &got.1) == want {
            passed += 1;
        } else {
            failures.push(format!(
                "{}: {} gave {} {}, expected {} {}",
                case["about"], case["rule"], got.0, got.1, want.0, want.1
            ));
        }
    }
    assert!(failures.is_empty(), "{} cases fail:\n{}", failures.len(), failures.join("\n"));
    assert!(passed >= 70, "only {passed} cases ran");
}

#[test]
fn scope_climbs_past_the_outermost_data_do_not_compile() {
    let err = |rule: &str| Logic::from_json(rule).unwrap_err().to_string();
    assert_eq!(err(r#"{"val": [[-1], "index"]}"#), "val[0]: climbs 1 scopes, but only 0 enclose it");
    assert_eq!(err(r#"{"map": [[1], {"val": [[-3], "x"]}]}"#), "map[1].val[0]: climbs 3 scopes, but only 2 enclose it");
    assert_eq!(err(r#"{"val": [[1.5], "x"]}"#), "val[0]: a scope climb is [n], n a whole number");
    assert_eq!(err(r#"{"try": []}"#), "try: \"try\" takes at least 1 arguments, got 0");
    assert_eq!(err(r#"{"throw": [1, 2]}"#), "throw: \"throw\" takes 1 arguments, got 2");
    // A fallback of try opens a scope too.
    assert!(Logic::from_json(r#"{"try": [1, {"val": [[-2], "x"]}]}"#).is_ok());
    assert!(Logic::from_json(r#"{"try": [{"val": [[-2], "x"]}, 1]}"#).is_err());
}

#[test]
fn constant_subtrees_are_computed_once_but_data_reads_are_not() {
    // Folding must not capture data: the same compiled rule on different data.
    let logic = Logic::from_json(r#"{"map": [[1, 2], {"+": [{"val": []}, {"val": [[-2], "k"]}]}]}"#).unwrap();
    assert_eq!(logic.apply(&serde_json::json!({"k": 1})).unwrap(), serde_json::json!([2, 3]));
    assert_eq!(logic.apply(&serde_json::json!({"k": 5})).unwrap(), serde_json::json!([6, 7]));
    let index = Logic::from_json(r#"{"map": [["a"], {"map": [[0, 0], {"val": [[-3], "index"]}]}]}"#).unwrap();
    assert_eq!(index.apply(&Value::Null).unwrap(), serde_json::json!([[0, 0]]));
    // A literal division by zero raises at every evaluation, not when compiling.
    let div = Logic::from_json(r#"{"try": [{"/": [1, 0]}, "caught"]}"#).unwrap();
    assert_eq!(div.apply(&Value::Null).unwrap(), "caught");
    assert!(Logic::from_json(r#"{"/": [1, 0]}"#).unwrap().apply(&Value::Null).is_err());
}

#[test]
fn whether_a_rule_can_raise_is_known_when_compiling() {
    let may = |rule: &str| Logic::from_json(rule).unwrap().may_throw();
    assert!(!may(r#"{"cat": ["a", {"var": "x"}]}"#));
    assert!(!may(r#"{"==": [{"var": "x"}, 1]}"#));
    assert!(may(r#"{"<": [{"var": "x"}, 1]}"#));
    assert!(may(r#"{"+": [{"var": "x"}, 1]}"#));
    assert!(!may(r#"{"try": [{"+": [{"var": "x"}, 1]}, 0]}"#));
    assert!(may(r#"{"throw": {"var": "x"}}"#));
}
