//! Bare JsonLogic, the call json-logic-js users know.

use crate::convert::{coded, parse_or_default, stringify, to_js, JsResult};
use wasm_bindgen::prelude::*;
use xmarks::rules::logic::Logic;

/// Evaluates a JsonLogic rule against data, with json-logic-js's semantics.
#[wasm_bindgen(js_name = applyLogic, unchecked_return_type = "Json")]
pub fn apply_logic(
    #[wasm_bindgen(unchecked_param_type = "Json")] rule: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Json")] data: JsValue,
) -> JsResult<JsValue> {
    CompiledLogic::new(rule)?.apply(data)
}

/// A rule compiled once, for evaluating against many data. Call `free()` when done with it.
#[wasm_bindgen(js_name = Logic)]
pub struct CompiledLogic(Logic);

#[wasm_bindgen(js_class = Logic)]
impl CompiledLogic {
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Json")] rule: JsValue) -> JsResult<CompiledLogic> {
        Logic::from_json(&stringify(&rule, "rule")?).map(CompiledLogic).map_err(|e| coded(&e))
    }

    #[wasm_bindgen(unchecked_return_type = "Json")]
    pub fn apply(&self, #[wasm_bindgen(unchecked_param_type = "Json")] data: JsValue) -> JsResult<JsValue> {
        let data: serde_json::Value = parse_or_default(&data, "data")?;
        to_js(&self.0.apply(&data))
    }
}
