//! Bare JsonLogic, the call json-logic-js users know.

use crate::convert::{coded, given, stringify, to_js, JsResult, OptJson};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use xmarks::rules::logic::value::Val;
use xmarks::rules::logic::Logic;

/// Rules compiled by `applyLogic`, by their JSON text: callers pass the same rules again and again,
/// as with json-logic-js, and compiling is most of the cost of a small rule. Emptied when full.
const CACHE_LIMIT: usize = 1024;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<Logic>>> = RefCell::new(HashMap::new());
}

/// Evaluates a JsonLogic rule against data, with json-logic-js's semantics.
#[wasm_bindgen(js_name = applyLogic, unchecked_return_type = "Json")]
pub fn apply_logic(
    #[wasm_bindgen(unchecked_param_type = "Json")] rule: JsValue,
    data: Option<OptJson>,
) -> JsResult<JsValue> {
    let data = given(data);
    let text = stringify(&rule, "rule")?;
    let cached = CACHE.with(|c| c.borrow().get(&text).cloned());
    let logic = match cached {
        Some(logic) => logic,
        None => {
            let logic = Rc::new(Logic::from_json(&text).map_err(|e| coded(&e))?);
            CACHE.with(|c| {
                let mut c = c.borrow_mut();
                if c.len() >= CACHE_LIMIT {
                    c.clear();
                }
                c.insert(text, logic.clone());
            });
            logic
        }
    };
    eval(&logic, &data)
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
    pub fn apply(&self, data: Option<OptJson>) -> JsResult<JsValue> {
        eval(&self.0, &given(data))
    }
}

/// Evaluates against JS data read as JSON (`undefined` is null), returning a JS value: scalars
/// directly, arrays and objects through their JSON.
fn eval(logic: &Logic, data: &JsValue) -> JsResult<JsValue> {
    let data = if data.is_undefined() || data.is_null() {
        Val::Null
    } else {
        let text = stringify(data, "data")?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| crate::convert::error("input_invalid", &format!("data: {e}"), Some("data")))?;
        Val::from_json(&json)
    };
    Ok(match logic.eval(&data) {
        Val::Null => JsValue::NULL,
        Val::Bool(b) => JsValue::from_bool(b),
        // As JSON output: NaN and the infinities are null, -0 is 0.
        Val::Num(n) if n.is_finite() => JsValue::from_f64(n + 0.0),
        Val::Num(_) => JsValue::NULL,
        Val::Str(s) => JsValue::from_str(&s),
        other => to_js(&other.to_json())?,
    })
}
