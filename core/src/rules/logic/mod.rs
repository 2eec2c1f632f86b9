//! JsonLogic, compiled once and evaluated many times.
//!
//! [`Logic::compile`] turns a JSON rule into an expression tree (operators resolved, paths split,
//! arities and scope climbs checked, every subtree that reads no data computed once), so
//! evaluation never looks at JSON. Two generations of JsonLogic are one language here:
//!
//! - **Classic**, json-logic-js 2.0.5, the reference implementation: all 278 cases of the shared
//!   suite (`tests/jsonlogic/`) pass.
//! - **Current**, the JSON Logic specification as jsonlogic.com describes it and json-logic-engine 5
//!   implements it: `val` (paths as arrays, climbing out of `map`/`filter`/`reduce`), `exists`,
//!   `??`, `throw` and `try` with error values, `preserve`, and NaN errors from arithmetic and
//!   ordering. `core/tests/jsonlogic_current.rs` holds a case for each, with its value or error.
//!
//! Semantics, where neither the suite nor the specification decides, follow json-logic-js:
//!
//! - Truthiness: JavaScript's (`0`, `""`, `null`, `NaN` are false; `{}` is true), except that an
//!   empty array is false.
//! - Coercion: `+` and `*` read operands with `parseFloat` (`"3 apples"` is 3); `-`, `/`, `%` and
//!   the orderings use `Number()`. `==` is JavaScript's abstract equality; arrays and objects are
//!   never equal to one another.
//! - `var`: a dotted path; missing gives the default if one is given, else `null`; a path that
//!   reaches a present `null` gives `null` (not the default). Numeric segments index arrays. `""`,
//!   `null` or `[]` give the whole data. Falsy data (`null`, `0`, `""`, `false`) is read as `{}`.
//! - Scope: inside `map`, `filter`, `all`, `some` and `none`, the data is the current element;
//!   inside `reduce`, `{"current": element, "accumulator": value}`. `all` of an empty array is
//!   false; `none` of it is true.
//!
//! The current operators:
//!
//! - `{"val": "key"}`, `{"val": ["a", "b", 0]}`: the value at a path of keys (no dots: `"a.b"`
//!   is one key), `null` when missing; `{"val": []}` is the whole data. A first element `[n]`
//!   climbs `n` scopes first: inside an iteration `[-1]` is `{"index": i}` and `[-2]` the data
//!   around the iteration (`[-3]`, `[-4]` one iteration further out); inside a `try` fallback the
//!   data is the caught error and `[-2]` the data around the `try`. Climbing past the outermost
//!   data is a compile error.
//! - `{"exists": path}`: whether the path is present (a present `null` exists).
//! - `{"??": [a, b, ...]}`: the first value that is not `null` (evaluated lazily).
//! - `{"throw": x}`: raises the error `x` (an object) or `{"type": x}` (anything else).
//! - `{"try": [a, b, ...]}`: the first of `a, b, ...` that raises nothing; each fallback sees the
//!   error just caught as its data (`{"val": "type"}`); if all raise, the last error propagates.
//! - `{"preserve": x}`: `x` as data, never evaluated (`{"preserve": {"+": [1, 2]}}` is that object).
//!
//! Where the two generations disagree, this is how each disagreement is settled (the classic
//! suite keeps passing in every case):
//!
//! - **Arithmetic errors.** json-logic-js answers `null` for arithmetic that gives NaN
//!   (`{"+": ["apple"]}`, `{"%": [1, 0]}`) and `Infinity` (printed `null`) for division by zero;
//!   the specification raises `{"type": "NaN"}`, and so does xmarks, so that `try` can catch it and
//!   a rule never acts on a silent `null`. Values json-logic-js computes are kept: `"3 apples"` is
//!   still 3 to `+` (json-logic-engine would raise), and an overflow to `Infinity` is not an error.
//! - **Orderings.** `<`, `<=`, `>`, `>=` between a number and something that is not one
//!   (`{"<": [1, "x"]}`) are false in json-logic-js and raise NaN in the specification; xmarks
//!   raises. Two strings still compare by UTF-16 code units, and `null` is 0.
//! - **Equality.** `==` and `!=` keep JavaScript's abstract equality and never raise
//!   (json-logic-engine raises NaN for `{"==": [1, "x"]}` and equates `null` with 0; the classic
//!   suite asks for JavaScript's `==`).
//! - **`max` and `min`** of no arguments raise `{"type": "Invalid Arguments"}` (json-logic-js
//!   answers `null`), and of a non-number raise NaN.
//! - **Game operators** (`distance`, `near`, `has_item`, `item_count`) are unchanged: a distance
//!   between things that are not points is NaN (`null` in JSON), and `near` of them is false.
//!
//! Differences from both, on purpose: an unknown operator or a wrong number of arguments is an
//! error when compiling, and rules have limits ([`MAX_DEPTH`], [`MAX_NODES`],
//! [`MAX_PATH_SEGMENTS`]).
//!
//! Game operators, beside the standard ones:
//! `{"distance": [a, b]}` (metres between points `[x, y]` or `{"x", "y"}` on a plane, or along the
//! geodesic between `{"lon", "lat"}` points on the Earth; NaN between a planar and an Earth
//! point), `{"near": [a, b, r]}` (distance at most r), `{"has_item": item}` and `{"item_count": item}` (read
//! `session.items.<item>` from the data).

mod compile;
mod eval;
pub mod scope;
pub mod value;

pub use crate::limits::{MAX_DEPTH, MAX_NODES, MAX_PATH_SEGMENTS};
pub use scope::{Held, Scope};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;
pub use value::Val;

/// A rule that cannot be compiled: where (a path such as `and[1].var`) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct LogicError {
    pub path: String,
    pub reason: String,
}

impl crate::error::Coded for LogicError {
    fn code(&self) -> &'static str {
        "logic_invalid"
    }

    fn path(&self) -> Option<String> {
        Some(self.path.clone())
    }
}

/// An error raised while evaluating (`throw`, or invalid arithmetic) that no `try` caught. The
/// value is the error object, such as `{"type": "NaN"}`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("uncaught error {}", .0.to_json())]
pub struct Thrown(pub Val);

impl Thrown {
    /// The error `{"type": name}`.
    pub fn of_type(name: &str) -> Thrown {
        Thrown::from_value(Val::str(name))
    }

    /// What `throw` raises: an object as it is, anything else as `{"type": value}`.
    pub fn from_value(v: Val) -> Thrown {
        match v {
            Val::Obj(_) => Thrown(v),
            other => Thrown(Val::Obj(Arc::new([(Arc::from("type"), other)].into_iter().collect()))),
        }
    }

    /// The error's `type` as text (`"NaN"`), or its JSON when it has none.
    pub fn kind(&self) -> String {
        match &self.0 {
            Val::Obj(o) => match o.get("type") {
                Some(Val::Str(s)) => s.to_string(),
                Some(other) => other.to_js_string(),
                None => self.0.to_json().to_string(),
            },
            other => other.to_js_string(),
        }
    }
}

impl crate::error::Coded for Thrown {
    fn code(&self) -> &'static str {
        "logic_error"
    }

    fn path(&self) -> Option<String> {
        None
    }
}

/// A compiled JsonLogic rule.
#[derive(Debug, Clone)]
pub struct Logic(eval::Expr);

impl Logic {
    /// Compiles a rule given as JSON.
    pub fn compile(rule: &Value) -> Result<Logic, LogicError> {
        compile::Compiler::new().compile_rule(rule).map(Logic)
    }

    /// Parses and compiles a rule from JSON text.
    pub fn from_json(text: &str) -> Result<Logic, LogicError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| LogicError { path: "$".into(), reason: e.to_string() })?;
        Logic::compile(&v)
    }

    /// Evaluates against any [`Scope`]. The value is borrowed from the rule or the data where it
    /// can be, so reading it costs nothing more.
    #[inline]
    pub fn eval<'a>(&'a self, data: &'a dyn Scope) -> Result<Cow<'a, Val>, Thrown> {
        self.0.eval(&scope::Frame::root(data))
    }

    /// Whether the rule's value is truthy, without building the value where the rule is a test
    /// (a comparison, `and`, `all`...): what conditions want.
    #[inline]
    pub fn truthy(&self, data: &dyn Scope) -> Result<bool, Thrown> {
        self.0.truthy(&scope::Frame::root(data))
    }

    /// Evaluates against JSON data and returns JSON, like json-logic-js's `apply`.
    pub fn apply(&self, data: &Value) -> Result<Value, Thrown> {
        self.eval(&Val::from_json(data)).map(|v| v.to_json())
    }

    /// Whether evaluating can raise an error (`throw`, arithmetic, orderings) that no `try` in
    /// the rule catches.
    pub fn may_throw(&self) -> bool {
        self.0.may_throw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(rule: Value, data: Value) -> Value {
        Logic::compile(&rule).unwrap().apply(&data).unwrap()
    }

    #[test]
    fn silent_cases_follow_json_logic_js() {
        assert_eq!(apply(json!({"!!": [{}]}), json!(null)), json!(true));
        assert_eq!(apply(json!({">": [{"*": [1e308, 10]}, 1e308]}), json!(null)), json!(true));
        assert_eq!(apply(json!({"*": [1e308, 10]}), json!(null)), json!(null));
        assert_eq!(apply(json!({"+": ["3 apples", 1]}), json!(null)), json!(4));
        assert_eq!(apply(json!({"var": ["a", 5]}), json!({"a": null})), json!(null));
        assert_eq!(apply(json!({"map": [[0, 1], {"var": ""}]}), json!(null)), json!([{}, 1]));
        assert_eq!(apply(json!({"cat": [null, "a", [1, null, 2]]}), json!(null)), json!("a1,,2"));
        assert_eq!(apply(json!({"==": [[1], [1]]}), json!(null)), json!(false));
    }

    /// The compiler's shortcuts (paths read straight from a `reduce`'s values, keys of `missing`
    /// split once, answers shared instead of built) give what evaluating plainly gives.
    #[test]
    fn shortcuts_answer_as_plain_evaluation() {
        let xs = json!({"xs": [[1, 2], [3]], "n": [1, 2, 3], "o": [{"q": 1}, {"q": 2}]});
        // A reduce inside a reduce: each body reads its own current and accumulator.
        let nested = json!({"reduce": [{"var": "xs"},
            {"+": [{"var": "accumulator"}, {"reduce": [{"var": "current"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}]}, 0]});
        assert_eq!(apply(nested, xs.clone()), json!(6));
        // Inside a map inside a reduce, "current" is the map's element's key, not the reduce's.
        let inner = json!({"reduce": [{"var": "o"}, {"merge": [{"var": "accumulator"}, {"map": [[{"preserve": {"current": 7}}], {"var": "current"}]}, {"var": "current.q"}]}, []]});
        assert_eq!(apply(inner, xs.clone()), json!([7, 1, 7, 2]));
        // In a try fallback inside a reduce, the data is the caught error.
        let caught = json!({"reduce": [{"var": "n"}, {"try": [{"throw": "x"}, {"cat": [{"var": "type"}, {"var": "current"}]}]}, 0]});
        assert_eq!(apply(caught, xs.clone()), json!("x"));
        assert_eq!(apply(json!({"reduce": [{"var": "n"}, {"var": "current.0"}, 0]}), xs.clone()), json!(null));
        // missing: none, one, some and all of the keys.
        let m = || json!({"missing": ["a", "b.c", "d"]});
        assert_eq!(apply(m(), json!({"a": 1, "b": {"c": 2}, "d": 3})), json!([]));
        assert_eq!(apply(m(), json!({"a": 1, "d": ""})), json!(["b.c", "d"]));
        assert_eq!(apply(m(), json!({"a": 1, "b": {"c": null}, "d": 0})), json!(["b.c"]));
        assert_eq!(apply(m(), json!(null)), json!(["a", "b.c", "d"]));
        assert_eq!(apply(json!({"missing": "a"}), json!({"b": 1})), json!(["a"]));
        assert_eq!(apply(json!({"missing": ["", 0]}), json!(["x"])), json!([]));
        assert_eq!(apply(json!({"missing": ["", 0]}), json!("")), json!(["", 0]));
        let some = || json!({"missing_some": [2, ["a", "b", "c"]]});
        assert_eq!(apply(some(), json!({"a": 1, "c": 1})), json!([]));
        assert_eq!(apply(some(), json!({"a": 1})), json!(["b", "c"]));
        assert_eq!(apply(json!({"missing_some": [1, "a"]}), json!({})), json!(["a"]));
        // filter keeping every element, none, and some; var "" of falsy data is {}.
        assert_eq!(apply(json!({"filter": [{"var": "n"}, true]}), xs.clone()), json!([1, 2, 3]));
        assert_eq!(apply(json!({"filter": [{"var": "n"}, {">": [{"var": ""}, 1]}]}), xs.clone()), json!([2, 3]));
        assert_eq!(apply(json!({"filter": [{"var": "n"}, {"<": [{"var": ""}, 2]}]}), xs.clone()), json!([1]));
        assert_eq!(apply(json!({"map": [{"var": "n"}, {"var": ""}]}), json!({"n": [0, "", 2]})), json!([{}, {}, 2]));
        // Errors in the middle of a map or an array are the first one raised.
        let err =
            Logic::compile(&json!({"map": [{"var": "n"}, {"throw": {"var": ""}}]})).unwrap().apply(&xs).unwrap_err();
        assert_eq!(err.0.to_json(), json!({"type": 1}));
        // Truthiness asked directly agrees with the value's.
        for (rule, data) in [
            (json!({"and": [{"var": "a"}, {"<": [1, {"var": "a"}]}]}), json!({"a": 2})),
            (json!({"or": []}), json!(null)),
            (json!({"and": []}), json!(null)),
            (json!({"if": [{"var": "a"}, {"%": [{"var": "a"}, 2]}, "x"]}), json!({"a": 4})),
            (json!({"var": ["b", {"var": "a"}]}), json!({"a": 1})),
            (json!({"var": "s.0"}), json!({"s": "hi"})),
            (json!({"none": [{"var": "n"}, {"==": [{"var": ""}, 2]}]}), xs.clone()),
        ] {
            let logic = Logic::compile(&rule).unwrap();
            let data = Val::from_json(&data);
            assert_eq!(logic.truthy(&data).unwrap(), logic.eval(&data).unwrap().truthy(), "{rule}");
        }
    }

    #[test]
    fn game_operators() {
        let data = json!({"event": {"x": 3, "y": 4}, "session": {"items": {"lantern": 2}}});
        assert_eq!(apply(json!({"distance": [{"var": "event"}, [0, 0]]}), data.clone()), json!(5));
        assert_eq!(apply(json!({"near": [{"var": "event"}, [0, 0], 5]}), data.clone()), json!(true));
        assert_eq!(apply(json!({"near": [{"var": "event"}, [0, 0], 4.9]}), data.clone()), json!(false));
        assert_eq!(apply(json!({"has_item": "lantern"}), data.clone()), json!(true));
        assert_eq!(apply(json!({"has_item": "key"}), data.clone()), json!(false));
        assert_eq!(apply(json!({"item_count": "lantern"}), data), json!(2));
    }

    #[test]
    fn compile_errors_name_the_path() {
        let err = |rule: Value| Logic::compile(&rule).unwrap_err().to_string();
        assert_eq!(err(json!({"and": [true, {"foo": [1]}]})), "and[1].foo: unknown operator \"foo\"");
        assert_eq!(err(json!({"==": [1]})), "==: \"==\" takes 2 arguments, got 1");
        assert_eq!(err(json!({"if": [true, {"near": [1, 2]}]})), "if[1].near: \"near\" takes 3 arguments, got 2");
        let mut deep = json!(true);
        for _ in 0..100 {
            deep = json!({"!": [deep]});
        }
        assert!(err(deep).contains("nesting deeper than 64"));
        let deep_text = format!("{}true{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Logic::from_json(&deep_text).is_err());
    }
}
