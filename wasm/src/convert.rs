//! Crossing the boundary: JS values in as JSON text for the core's parsers, Rust values out as
//! plain objects, and core errors out as JS `Error`s with a `code`.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use xmarks::progress::Progress;
use xmarks::Coded;

// Optional parameters: an `Option` of an imported type is `name?: Type` in the TypeScript output.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "WorldConfigInput")]
    pub type OptWorldConfig;
    #[wasm_bindgen(typescript_type = "ImportOptions")]
    pub type OptImportOptions;
    #[wasm_bindgen(typescript_type = "((progress: ImportProgress) => void)")]
    pub type OptProgress;
    #[wasm_bindgen(typescript_type = "((progress: ReplayProgress) => void)")]
    pub type OptReplayProgress;
    #[wasm_bindgen(typescript_type = "JsonInput")]
    pub type OptJson;
}

/// An optional parameter as a `JsValue` (`undefined` when not given).
pub fn given<T: Into<JsValue>>(param: Option<T>) -> JsValue {
    param.map_or(JsValue::UNDEFINED, Into::into)
}

/// The result every export returns: the error side is a JS `Error`.
pub type JsResult<T> = Result<T, JsValue>;

/// A JS `Error` with `code`, and `path` when given.
pub fn error(code: &str, message: &str, path: Option<&str>) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name("XmarksError");
    set(&e, "code", &code.into());
    if let Some(path) = path {
        set(&e, "path", &path.into());
    }
    e.into()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error or plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

/// A core error as a JS `Error`.
pub fn coded(e: &impl Coded) -> JsValue {
    error(e.code(), &e.to_string(), e.path().as_deref())
}

/// Reads a document (a template, a hunt, a ruleset, an event) with `read`: a string is taken as
/// its JSON text, anything else is stringified first, and then an error is told in JS words,
/// without the line and column of text the caller never wrote (see [`for_js`]). `what` names
/// the argument in errors.
pub fn read_doc<T>(value: &JsValue, what: &str, read: impl FnOnce(&str) -> JsResult<T>) -> JsResult<T> {
    match value.as_string() {
        Some(text) => read(&text),
        None => read(&stringify(value, what)?).inspect_err(|e| {
            if let Some(error) = e.dyn_ref::<js_sys::Error>() {
                error.set_message(&for_js(&String::from(error.message())));
            }
        }),
    }
}

/// A parser's message about JSON text this package wrote from a JS value, as a JS developer
/// reads it: no "at line 1 column 26", and JS's names for serde's Rust types ("expected f64" is
/// "expected a number"). Messages about text the caller gave are left as they are.
pub fn for_js(message: &str) -> String {
    let mut m = message;
    if let Some(at) = m.rfind(" at line ") {
        let rest = &m[at + " at line ".len()..];
        let numbers = rest.split(" column ").collect::<Vec<_>>();
        if numbers.len() == 2 && numbers.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            m = &m[..at];
        }
    }
    const WORDS: [(&str, &str); 16] = [
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u8", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected an object"),
        ("expected struct ", "expected an object "),
        ("invalid type: map,", "invalid type: an object,"),
        ("invalid type: sequence,", "invalid type: an array,"),
        ("invalid type: floating point ", "invalid type: the number "),
        ("invalid type: integer ", "invalid type: the number "),
    ];
    let mut out = m.to_owned();
    for (rust, js) in WORDS {
        if out.contains(rust) {
            out = out.replace(rust, js);
        }
    }
    out
}

/// The JSON text of any JSON value (a string is a JSON string here).
pub fn stringify(value: &JsValue, what: &str) -> JsResult<String> {
    let fail = || {
        error(
            "input_invalid",
            &format!("{what}: not JSON-compatible (undefined, a function, a cycle or a BigInt)"),
            Some(what),
        )
    };
    // JSON.stringify answers undefined for undefined and functions, and throws on cycles and BigInts.
    js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()).ok_or_else(fail)
}

/// Reads an input with the core's reader of its type (`Seeds::from_json`, ...: the JSON parser
/// is compiled in the core, once), with `what` as the error's path.
pub fn parse<T>(value: &JsValue, what: &str, read: fn(&str) -> Result<T, serde_json::Error>) -> JsResult<T> {
    let text = stringify(value, what)?;
    read(&text).map_err(|e| error("input_invalid", &for_js(&format!("{what}: {e}")), Some(what)))
}

/// Like [`parse`], but `undefined` and `null` give the default.
pub fn parse_or_default<T: Default>(
    value: &JsValue,
    what: &str,
    read: fn(&str) -> Result<T, serde_json::Error>,
) -> JsResult<T> {
    if value.is_undefined() || value.is_null() {
        Ok(T::default())
    } else {
        parse(value, what, read)
    }
}

/// A Rust value as a plain JS object, built field by field (structs in declaration order, maps as
/// objects, 64-bit integers as numbers): about 5% faster per hunt than its JSON through `JSON.parse`.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| error("input_invalid", &format!("result has no JS form: {e}"), None))
}

/// Calls a JS progress callback, if one was given. What the callback throws is ignored: a progress
/// bar cannot break an import or a replay.
pub fn reporter(callback: Option<&js_sys::Function>) -> impl FnMut(Progress) + '_ {
    move |p| {
        if let (Some(f), Ok(p)) = (callback, to_js(&p)) {
            let _ = f.call1(&JsValue::UNDEFINED, &p);
        }
    }
}

/// Sets `key` on a JS object.
pub fn with(target: JsValue, key: &str, value: &JsValue) -> JsValue {
    set(&target, key, value);
    target
}
