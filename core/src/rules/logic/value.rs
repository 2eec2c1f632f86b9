//! Values during JsonLogic evaluation, with JavaScript's coercions.
//!
//! json-logic-js is the reference, so evaluation follows JavaScript: numbers are `f64` (NaN and the
//! infinities exist mid-evaluation; in JSON output they become `null`, as `JSON.stringify` does),
//! `==` is JavaScript's abstract equality, `<` compares strings by UTF-16 code units and everything
//! else as numbers, and numbers print the way `Number.prototype.toString` prints them. These
//! conversions are written here because no crate provides them and outputs depend on them.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A JSON value during evaluation. Cheap to clone: strings, arrays and objects are shared.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Val {
    #[default]
    Null,
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    Arr(Arc<[Val]>),
    Obj(Arc<BTreeMap<Arc<str>, Val>>),
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(Arc::from(s))
    }

    pub fn from_json(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Val::str(s),
            Value::Array(a) => Val::Arr(a.iter().map(Val::from_json).collect()),
            Value::Object(o) => {
                Val::Obj(Arc::new(o.iter().map(|(k, v)| (Arc::from(k.as_str()), Val::from_json(v))).collect()))
            }
        }
    }

    /// JSON as `JSON.stringify` would write it: integral numbers as integers, NaN and infinities as null.
    pub fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_json(*n),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Arr(a) => Value::Array(a.iter().map(Val::to_json).collect()),
            Val::Obj(o) => Value::Object(o.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect()),
        }
    }

    /// JsonLogic truthiness: JavaScript's, except that an empty array is false.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::Arr(a) => !a.is_empty(),
            Val::Obj(_) => true,
        }
    }

    /// JavaScript `ToNumber`.
    pub fn to_number(&self) -> f64 {
        match self {
            Val::Null => 0.0,
            Val::Bool(b) => f64::from(u8::from(*b)),
            Val::Num(n) => *n,
            Val::Str(s) => string_to_number(s),
            Val::Arr(_) | Val::Obj(_) => string_to_number(&self.to_js_string()),
        }
    }

    /// JavaScript `ToString` (arrays join their elements with commas, null elements as "").
    pub fn to_js_string(&self) -> String {
        match self {
            Val::Null => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => js_number(*n),
            Val::Str(s) => s.to_string(),
            Val::Arr(a) => a
                .iter()
                .map(|v| if matches!(v, Val::Null) { String::new() } else { v.to_js_string() })
                .collect::<Vec<_>>()
                .join(","),
            Val::Obj(_) => "[object Object]".into(),
        }
    }

    fn is_object_like(&self) -> bool {
        matches!(self, Val::Arr(_) | Val::Obj(_))
    }
}

/// A number as JSON: integral values within 2^53 as integers, non-finite as null.
pub fn num_json(n: f64) -> Value {
    if !n.is_finite() {
        Value::Null
    } else if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Length of the longest prefix of `s` that is a JavaScript StrDecimalLiteral (sign, digits,
/// fraction, exponent, or Infinity).
fn decimal_prefix(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if s[i..].starts_with("Infinity") {
        return i + 8;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i > int_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if digits || j > frac_start {
            digits = true;
            i = j;
        }
    }
    if !digits {
        return 0;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    i
}

fn parse_decimal(s: &str) -> f64 {
    match s.trim_start_matches('+') {
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        t => t.parse().unwrap_or(f64::NAN),
    }
}

/// JavaScript `StringToNumber`: the whole trimmed string must be a numeric literal; "" is 0.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u128::from_str_radix(digits, radix).map_or(f64::NAN, |v| v as f64);
        }
    }
    if decimal_prefix(t) == t.len() {
        parse_decimal(t)
    } else {
        f64::NAN
    }
}

/// JavaScript `parseFloat(String(v))`: the longest numeric prefix after leading spaces, or NaN.
pub fn parse_float(v: &Val) -> f64 {
    if let Val::Num(n) = v {
        return *n;
    }
    let s = v.to_js_string();
    let t = s.trim_start_matches(is_js_space);
    match decimal_prefix(t) {
        0 => f64::NAN,
        n => parse_decimal(&t[..n]),
    }
}

/// JavaScript `Number.prototype.toString()`: shortest round-trip digits, exponent form outside
/// 1e-7..1e21.
pub fn js_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if n == 0.0 {
        return "0".into();
    }
    // Between 1e-6 and 1e21 JavaScript prints plain decimals with the shortest round-trip digits,
    // which is exactly what Rust's `Display` prints.
    if (1e-6..1e21).contains(&n.abs()) {
        return n.to_string();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddddde<exp>".
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let e: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let point = e + 1; // the value is 0.digits x 10^point
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let exp_sign = if point - 1 < 0 { "-" } else { "+" };
        let mant = if k == 1 { digits.clone() } else { format!("{}.{}", &digits[..1], &digits[1..]) };
        format!("{mant}e{exp_sign}{}", (point - 1).abs())
    };
    format!("{sign}{body}")
}

/// JavaScript `a == b` (abstract equality). Arrays and objects are never equal to each other
/// (JavaScript compares them by reference, which JSON data cannot share).
pub fn loose_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Str(s)) | (Val::Str(s), Val::Num(x)) => *x == string_to_number(s),
        (Val::Bool(x), other) | (other, Val::Bool(x)) => loose_eq(&Val::Num(f64::from(u8::from(*x))), other),
        (o, p) if o.is_object_like() && p.is_object_like() => false,
        (o, p) if o.is_object_like() => loose_eq(&Val::str(&o.to_js_string()), p),
        (p, o) => loose_eq(p, &Val::str(&o.to_js_string())),
    }
}

/// JavaScript `a === b`.
pub fn strict_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        _ => false,
    }
}

/// JavaScript's abstract relational comparison: `Some(ordering)`, or `None` when NaN is involved.
pub fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return x.partial_cmp(y);
    }
    let prim = |v: &Val| if v.is_object_like() { Val::str(&v.to_js_string()) } else { v.clone() };
    match (prim(a), prim(b)) {
        (Val::Str(x), Val::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (x, y) => x.to_number().partial_cmp(&y.to_number()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        for (n, s) in [
            (1.0, "1"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (0.0000015, "0.0000015"),
            (999999999999999900000.0, "999999999999999900000"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (-2.5e30, "-2.5e+30"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(js_number(n), s);
        }
    }

    #[test]
    fn strings_convert_like_javascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1F"), 31.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("12px").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert_eq!(parse_float(&Val::str("3.5 apples")), 3.5);
        assert_eq!(parse_float(&Val::str(".5")), 0.5);
        assert!(parse_float(&Val::Bool(true)).is_nan());
        assert!(parse_float(&Val::str("")).is_nan());
    }

    #[test]
    fn equality_and_order_follow_javascript() {
        assert!(loose_eq(&Val::Num(1.0), &Val::str("1")));
        assert!(loose_eq(&Val::Bool(true), &Val::str("1")));
        assert!(!loose_eq(&Val::Null, &Val::Num(0.0)));
        assert!(loose_eq(&Val::Arr(Arc::from(vec![Val::Num(5.0)])), &Val::Num(5.0)));
        assert!(!strict_eq(&Val::Num(1.0), &Val::str("1")));
        assert_eq!(compare(&Val::str("10"), &Val::str("9")), Some(std::cmp::Ordering::Less));
        assert_eq!(compare(&Val::str("10"), &Val::Num(9.0)), Some(std::cmp::Ordering::Greater));
        assert_eq!(compare(&Val::str("x"), &Val::Num(9.0)), None);
    }
}
