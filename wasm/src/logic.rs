//! Bare JsonLogic, the calls json-logic-js users know.
//!
//! Rules and data cross the boundary in `binary`'s encoding, in one call each.

use crate::binary::{to_answer, to_js, with_encoded, with_inputs, Encoded};
use crate::convert::{coded, with, JsResult, OptJson};
use std::borrow::Cow;
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

/// Evaluates a JsonLogic rule against data, with json-logic-js's semantics. Both are values, not
/// JSON text: a string rule is the string (`applyLogic('{"==":[1,1]}')` is that text).
#[wasm_bindgen(js_name = applyLogic, unchecked_return_type = "Json")]
pub fn apply_logic(
    #[wasm_bindgen(unchecked_param_type = "JsonInput")] rule: JsValue,
    data: Option<OptJson>,
) -> JsResult<JsValue> {
    let logic = with_encoded(&rule, "rule", cached)?;
    eval(&logic, data)
}

/// `applyLogic` as the package's JS entry calls it: the rule's encoding, then the data's (0 bytes
/// for none), at the start of the input buffer. Answers the address of the answer's encoding.
#[wasm_bindgen(js_name = __applyLogicEncoded, skip_typescript)]
pub fn apply_logic_encoded(rule_len: u32, data_len: u32) -> JsResult<u32> {
    with_inputs(rule_len, data_len, |rule, data| encoded_answer(cached(rule)?.eval(&data)))
}

/// The compiled form of an encoded rule, from the cache or compiled now.
fn cached(rule: Encoded) -> JsResult<Rc<Logic>> {
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
    pub fn new(#[wasm_bindgen(unchecked_param_type = "JsonInput")] rule: JsValue) -> JsResult<CompiledLogic> {
        with_encoded(&rule, "rule", |rule| compile(rule.decode())).map(CompiledLogic)
    }

    #[wasm_bindgen(unchecked_return_type = "Json")]
    pub fn apply(&self, data: Option<OptJson>) -> JsResult<JsValue> {
        eval(&self.0, data)
    }

    /// `apply` as the package's JS entry calls it: the data's encoding is at the start of the
    /// input buffer (`len` bytes, 0 for none). Answers the address of the answer's encoding.
    #[wasm_bindgen(js_name = __applyEncoded, skip_typescript)]
    pub fn apply_encoded(&self, len: u32) -> JsResult<u32> {
        with_inputs(len, 0, |data, _| encoded_answer(self.0.eval(&data)))
    }
}

/// Evaluates against JS data (`undefined` and `null` are null).
fn eval(logic: &Logic, data: Option<OptJson>) -> JsResult<JsValue> {
    match data {
        None => answer(logic.eval(&Val::Null)),
        Some(data) => with_encoded(&data.into(), "data", |data| answer(logic.eval(&data))),
    }
}

/// An evaluation's answer as the address of its encoding, or the `logic_error` of `answer`.
fn encoded_answer(v: Result<Cow<Val>, Thrown>) -> JsResult<u32> {
    v.map(|v| to_answer(&v)).map_err(|e| raised(&e))
}

/// An error a rule raised and no `try` caught: code `logic_error`, the raised value as `error`.
fn raised(e: &Thrown) -> JsValue {
    with(coded(e), "error", &to_js(&e.0))
}

/// An evaluation's answer as JS: scalars directly, arrays and objects as plain objects, and an
/// uncaught JsonLogic error as an `Error` with code `logic_error` and the error value as `error`.
fn answer(v: Result<Cow<Val>, Thrown>) -> JsResult<JsValue> {
    match v {
        Ok(v) => Ok(match &*v {
            Val::Null => JsValue::NULL,
            Val::Bool(b) => JsValue::from_bool(*b),
            Val::Num(n) if n.is_finite() => JsValue::from_f64(if *n == 0.0 { 0.0 } else { *n }),
            other => to_js(other),
        }),
        Err(e) => Err(raised(&e)),
    }
}
