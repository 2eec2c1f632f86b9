//! Rulesets: a game's JsonLogic rules, compiled once and shared by sessions.

use crate::convert::{error, read_doc, to_js, with, JsResult};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use xmarks::rules::{RulesError, Ruleset};

/// A compiled ruleset. Sessions keep their own reference, so it may be freed while they run.
#[wasm_bindgen]
pub struct Rules(pub(crate) Arc<Ruleset>);

#[wasm_bindgen]
impl Rules {
    /// The rules shipped with the engine: dig to complete stages, points, items, the treasure.
    #[wasm_bindgen(js_name = default)]
    pub fn default_rules() -> Rules {
        Rules(Arc::new(Ruleset::default_rules()))
    }

    /// Validates and compiles a ruleset; the error lists every problem in `problems`.
    pub fn parse(#[wasm_bindgen(unchecked_param_type = "RulesetSpec | string")] spec: JsValue) -> JsResult<Rules> {
        read_doc(&spec, "rules", |text| {
            Ruleset::from_json(text).map(|r| Rules(Arc::new(r))).map_err(|e| rules_error(&e))
        })
    }

    /// SHA-256 of the ruleset's canonical JSON: sessions and their logs bind to it.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.0.digest().to_owned()
    }

    /// What an author should know that is not a problem: the rules whose condition or effects
    /// can raise an error no `try` catches, each at its path (`rules[2]`).
    #[wasm_bindgen(unchecked_return_type = "RuleNote[]")]
    pub fn notes(&self) -> JsResult<JsValue> {
        to_js(&self.0.notes())
    }

    /// The ruleset as written.
    #[wasm_bindgen(unchecked_return_type = "RulesetSpec")]
    pub fn spec(&self) -> JsResult<JsValue> {
        to_js(self.0.spec())
    }
}

/// Every problem in a ruleset, `[]` when it compiles: what a rules editor shows as you type.
#[wasm_bindgen(js_name = checkRules, unchecked_return_type = "RuleProblem[]")]
pub fn check_rules(#[wasm_bindgen(unchecked_param_type = "RulesetSpec | string")] spec: JsValue) -> JsResult<JsValue> {
    read_doc(&spec, "rules", |text| match Ruleset::from_json(text) {
        Ok(_) => to_js(&[(); 0]),
        Err(RulesError(problems)) => to_js(&problems),
    })
}

fn rules_error(e: &RulesError) -> JsValue {
    let err = crate::convert::coded(e);
    match to_js(&e.0) {
        Ok(problems) => with(err, "problems", &problems),
        Err(_) => error("rules_invalid", &e.to_string(), None),
    }
}
