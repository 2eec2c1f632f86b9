//! Bare JsonLogic, the calls json-logic-js users know.
//!
//! Rules and data cross the boundary in `binary`'s encoding, in one call each.

use crate::binary::{to_js, with_encoded};
use crate::convert::{coded, with, JsResult, OptJson};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use xmarks::rules::logic::{Logic, Thrown, Val};

/// Rules compiled by `applyLogic`, by their encoding: callers pass the same rules again and again,
/// as with json-logic-js, and compiling is most of the cost of a small rule. Emptied when full.
const CACHE_LIMIT: usize = 1024;

type Cache = HashMap<Box<[u8]>, Rc<Logic>, foldhash::fast::FixedState>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Evaluates a JsonLogic rule against data, with json-logic-js's semantics.
#[wasm_bindgen(js_name = applyLogic, unchecked_return_type = "Json")]
pub fn apply_logic(
    #[wasm_bindgen(unchecked_param_type = "Json")] rule: JsValue,
    data: Option<OptJson>,
) -> JsResult<JsValue> {
    let logic = with_encoded(&rule, "rule", |rule| {
        let bytes = rule.bytes();
        if let Some(logic) = CACHE.with(|c| c.borrow().get(bytes).cloned()) {
            return Ok(logic);
        }
        let logic = Rc::new(compile(rule.decode())?);
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= CACHE_LIMIT {
                c.clear();
            }
            c.insert(bytes.into(), logic.clone());
        });
        Ok(logic)
    })?;
    eval(&logic, data)
}

/// A rule read from its encoding.
fn compile(rule: Option<Val>) -> JsResult<Logic> {
    Logic::compile(&rule.unwrap_or_default().to_json()).map_err(|e| coded(&e))
}

/// A rule compiled once, for evaluating against many data. Call `free()` when done with it.
#[wasm_bindgen(js_name = Logic)]
pub struct CompiledLogic(Logic);

#[wasm_bindgen(js_class = Logic)]
impl CompiledLogic {
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Json")] rule: JsValue) -> JsResult<CompiledLogic> {
        with_encoded(&rule, "rule", |rule| compile(rule.decode())).map(CompiledLogic)
    }

    #[wasm_bindgen(unchecked_return_type = "Json")]
    pub fn apply(&self, data: Option<OptJson>) -> JsResult<JsValue> {
        eval(&self.0, data)
    }
}

/// Evaluates against JS data (`undefined` and `null` are null), returning scalars directly and
/// arrays and objects as plain objects.
fn eval(logic: &Logic, data: Option<OptJson>) -> JsResult<JsValue> {
    let answer = |v: Result<std::borrow::Cow<Val>, Thrown>| match v {
        Ok(v) => Ok(match &*v {
            Val::Null => JsValue::NULL,
            Val::Bool(b) => JsValue::from_bool(*b),
            Val::Num(n) if n.is_finite() => JsValue::from_f64(if *n == 0.0 { 0.0 } else { *n }),
            other => to_js(other),
        }),
        // An uncaught JsonLogic error: code `logic_error`, and the error value as `error`.
        Err(e) => Err(with(coded(&e), "error", &to_js(&e.0))),
    };
    match data {
        None => answer(logic.eval(&Val::Null)),
        Some(data) => with_encoded(&data.into(), "data", |data| answer(logic.eval(&data))),
    }
}
