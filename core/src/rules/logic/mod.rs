//! JsonLogic, compiled once and evaluated many times.
//!
//! [`Logic::compile`] turns a JSON rule into an expression tree (operators resolved, `var` paths
//! split, arities checked), so evaluation never looks at JSON. Semantics follow json-logic-js 2.0.5,
//! the reference implementation, and pass the whole shared suite (`tests/jsonlogic/`). Where the
//! suite is silent, the choices are json-logic-js's:
//!
//! - Truthiness: JavaScript's (`0`, `""`, `null`, `NaN` are false; `{}` is true), except that an
//!   empty array is false.
//! - Arithmetic: `+` and `*` use `parseFloat` (`"3 apples"` is 3), `-`, `/`, `%` and comparisons use
//!   `Number()`. Division by zero gives Infinity (or NaN for 0/0) mid-evaluation; a result that is
//!   not finite is `null` in JSON output, as `JSON.stringify` writes it.
//! - `var`: a missing path gives the default if one is given, else `null`; a path that reaches a
//!   present `null` gives `null` (not the default). Numeric segments index arrays. `""`, `null` or
//!   `[]` give the whole data. Data that is falsy (`null`, `0`, `""`, `false`) is read as `{}`, as
//!   json-logic-js does, also for the elements visited by `map`, `filter`, `all`, `some`, `none`.
//! - Scope: inside `map`, `filter`, `all`, `some` and `none`, `var` reads the current element; inside
//!   `reduce`, the data is `{"current": element, "accumulator": value}`. The outer data is not
//!   reachable there. `all` of an empty array is false; `none` of it is true.
//! - `==` is JavaScript's abstract equality; arrays and objects are never equal to one another.
//!
//! Differences from json-logic-js, on purpose: an unknown operator or a wrong number of arguments
//! is an error when compiling (json-logic-js throws on the first and guesses on the second), and
//! nesting is limited to [`MAX_DEPTH`].
//!
//! Game operators, beside the standard ones:
//! `{"distance": [a, b]}` (metres between points `[x, y]` or `{"x", "y"}`), `{"near": [a, b, r]}`
//! (distance at most r), `{"has_item": item}` and `{"item_count": item}` (read
//! `session.items.<item>` from the data).

pub mod value;

pub use crate::limits::{MAX_DEPTH, MAX_NODES};
use serde_json::Value;
use std::sync::Arc;
pub use value::Val;
use value::{compare, loose_eq, parse_float, strict_eq};

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

/// Where `var` finds data. Plain JSON data is a [`Val`]; a game session provides its own.
pub trait Scope {
    /// The value at a path of segments, or `None` when something on the way is missing.
    fn lookup(&self, path: &[Arc<str>]) -> Option<Val>;
    /// The whole data, for `{"var": ""}`.
    fn whole(&self) -> Val;
    /// The value at a dotted path (`"a.b.0"`); `""` is the whole data.
    fn lookup_dotted(&self, path: &str) -> Option<Val> {
        match split_path(path) {
            Path::Static(segs) => self.lookup(&segs),
            _ => Some(self.whole()),
        }
    }
}

/// Walks `path` down from `v`: object keys, array indexes, and a final string index.
fn walk<'s>(v: &Val, path: impl Iterator<Item = &'s str>) -> Option<Val> {
    let mut here = v;
    let mut path = path.peekable();
    while let Some(seg) = path.next() {
        here = match here {
            Val::Obj(o) => o.get(seg)?,
            Val::Arr(a) => a.get(seg.parse::<usize>().ok()?)?,
            Val::Str(s) => {
                // Indexing a string gives a one-unit string, and nothing below it.
                let unit = s.encode_utf16().nth(seg.parse::<usize>().ok()?)?;
                return path.peek().is_none().then(|| Val::str(&String::from_utf16_lossy(&[unit])));
            }
            _ => return None,
        };
    }
    Some(here.clone())
}

impl Scope for Val {
    fn lookup(&self, path: &[Arc<str>]) -> Option<Val> {
        // Falsy data reads as {} (json-logic-js's `data || {}`), where every path is missing.
        if !self.truthy() && !matches!(self, Val::Arr(_)) {
            return None;
        }
        walk(self, path.iter().map(|s| &**s))
    }

    fn whole(&self) -> Val {
        if self.truthy() || matches!(self, Val::Arr(_)) {
            self.clone()
        } else {
            Val::Obj(Arc::default())
        }
    }

    fn lookup_dotted(&self, path: &str) -> Option<Val> {
        if path.is_empty() {
            return Some(self.whole());
        }
        if !self.truthy() && !matches!(self, Val::Arr(_)) {
            return None;
        }
        walk(self, path.split('.'))
    }
}

/// The data inside `reduce`: `{"current": ..., "accumulator": ...}`, without building the object.
struct ReduceScope<'a> {
    current: &'a Val,
    accumulator: &'a Val,
}

impl ReduceScope<'_> {
    fn find<'s>(&self, mut path: impl Iterator<Item = &'s str>) -> Option<Val> {
        match path.next()? {
            "current" => walk(self.current, path),
            "accumulator" => walk(self.accumulator, path),
            _ => None,
        }
    }
}

impl Scope for ReduceScope<'_> {
    fn lookup(&self, path: &[Arc<str>]) -> Option<Val> {
        self.find(path.iter().map(|s| &**s))
    }

    fn whole(&self) -> Val {
        let map = [(Arc::from("current"), self.current.clone()), (Arc::from("accumulator"), self.accumulator.clone())];
        Val::Obj(Arc::new(map.into_iter().collect()))
    }

    fn lookup_dotted(&self, path: &str) -> Option<Val> {
        if path.is_empty() {
            return Some(self.whole());
        }
        self.find(path.split('.'))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    StrictEq,
    Ne,
    StrictNe,
    Not,
    NotNot,
    Lt,
    Le,
    Gt,
    Ge,
    Max,
    Min,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    In,
    Cat,
    Substr,
    Merge,
    Missing,
    MissingSome,
    Log,
    Distance,
    Near,
    HasItem,
    ItemCount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Iterate {
    Map,
    Filter,
    All,
    Some,
    None,
}

#[derive(Debug, Clone)]
enum Path {
    Whole,
    Static(Vec<Arc<str>>),
    Dynamic(Box<Expr>),
}

#[derive(Debug, Clone)]
enum Expr {
    Lit(Val),
    Array(Vec<Expr>),
    Var(Path, Option<Box<Expr>>),
    If(Vec<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Iterate(Iterate, Box<Expr>, Box<Expr>),
    Reduce(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Call(Op, Vec<Expr>),
}

/// A compiled JsonLogic rule.
#[derive(Debug, Clone)]
pub struct Logic(Expr);

fn split_path(s: &str) -> Path {
    if s.is_empty() {
        Path::Whole
    } else {
        Path::Static(s.split('.').map(Arc::from).collect())
    }
}

struct Compiler {
    nodes: usize,
}

impl Compiler {
    fn err(path: &str, reason: impl Into<String>) -> LogicError {
        LogicError { path: if path.is_empty() { "$".into() } else { path.to_owned() }, reason: reason.into() }
    }

    fn compile(&mut self, v: &Value, path: &str, depth: usize) -> Result<Expr, LogicError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Self::err(path, format!("rule has more than {MAX_NODES} nodes")));
        }
        if depth > MAX_DEPTH {
            return Err(Self::err(path, format!("nesting deeper than {MAX_DEPTH}")));
        }
        let at = |i: usize| format!("{path}[{i}]");
        match v {
            Value::Array(items) => {
                let exprs = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.compile(x, &at(i), depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if exprs.iter().all(|e| matches!(e, Expr::Lit(_))) {
                    Expr::Lit(Val::Arr(
                        exprs.into_iter().map(|e| if let Expr::Lit(v) = e { v } else { unreachable!() }).collect(),
                    ))
                } else {
                    Expr::Array(exprs)
                })
            }
            Value::Object(map) if map.len() == 1 => {
                let (op, args) = map.iter().next().expect("one entry");
                let here = if path.is_empty() { op.clone() } else { format!("{path}.{op}") };
                self.operator(op, args, &here, depth + 1)
            }
            other => Ok(Expr::Lit(Val::from_json(other))),
        }
    }

    fn operator(&mut self, op: &str, args: &Value, path: &str, depth: usize) -> Result<Expr, LogicError> {
        let list: Vec<&Value> = match args {
            Value::Array(a) => a.iter().collect(),
            single => vec![single],
        };
        let n = list.len();
        let arity = |lo: usize, hi: usize| {
            if n < lo || n > hi {
                let want = if lo == hi {
                    format!("{lo}")
                } else if hi == usize::MAX {
                    format!("at least {lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                Err(Self::err(path, format!("\"{op}\" takes {want} arguments, got {n}")))
            } else {
                Ok(())
            }
        };
        let mut args = |this: &mut Self| -> Result<Vec<Expr>, LogicError> {
            list.iter().enumerate().map(|(i, a)| this.compile(a, &format!("{path}[{i}]"), depth + 1)).collect()
        };
        let call = |this: &mut Self,
                    op: Op,
                    lo: usize,
                    hi: usize,
                    args: &mut dyn FnMut(&mut Self) -> Result<Vec<Expr>, LogicError>| {
            arity(lo, hi)?;
            let args = args(this)?;
            // Constant folding: an operator that reads no data, given only literals, is computed now.
            let reads_data = matches!(op, Op::Missing | Op::MissingSome | Op::HasItem | Op::ItemCount);
            if !reads_data && args.iter().all(|a| matches!(a, Expr::Lit(_))) {
                return Ok(Expr::Lit(call(op, &args, &Val::Null)));
            }
            Ok(Expr::Call(op, args))
        };
        const ANY: usize = usize::MAX;
        match op {
            "var" => {
                arity(0, 2)?;
                let mut a = args(self)?.into_iter();
                let p = match a.next() {
                    None => Path::Whole,
                    Some(Expr::Lit(Val::Null)) => Path::Whole,
                    Some(Expr::Lit(Val::Arr(x))) if x.is_empty() => Path::Whole,
                    Some(Expr::Lit(v)) => split_path(&v.to_js_string()),
                    Some(e) => Path::Dynamic(Box::new(e)),
                };
                Ok(Expr::Var(p, a.next().map(Box::new)))
            }
            "if" | "?:" => Ok(Expr::If(args(self)?)),
            "and" => Ok(Expr::And(args(self)?)),
            "or" => Ok(Expr::Or(args(self)?)),
            "map" | "filter" | "all" | "some" | "none" => {
                arity(2, 2)?;
                let kind = match op {
                    "map" => Iterate::Map,
                    "filter" => Iterate::Filter,
                    "all" => Iterate::All,
                    "some" => Iterate::Some,
                    _ => Iterate::None,
                };
                let mut a = args(self)?.into_iter();
                Ok(Expr::Iterate(kind, Box::new(a.next().expect("2")), Box::new(a.next().expect("2"))))
            }
            "reduce" => {
                arity(2, 3)?;
                let mut a = args(self)?.into_iter();
                Ok(Expr::Reduce(Box::new(a.next().expect("2")), Box::new(a.next().expect("2")), a.next().map(Box::new)))
            }
            "==" => call(self, Op::Eq, 2, 2, &mut args),
            "===" => call(self, Op::StrictEq, 2, 2, &mut args),
            "!=" => call(self, Op::Ne, 2, 2, &mut args),
            "!==" => call(self, Op::StrictNe, 2, 2, &mut args),
            "!" => call(self, Op::Not, 1, 1, &mut args),
            "!!" => call(self, Op::NotNot, 1, 1, &mut args),
            "<" => call(self, Op::Lt, 2, 3, &mut args),
            "<=" => call(self, Op::Le, 2, 3, &mut args),
            ">" => call(self, Op::Gt, 2, 2, &mut args),
            ">=" => call(self, Op::Ge, 2, 2, &mut args),
            "max" => call(self, Op::Max, 0, ANY, &mut args),
            "min" => call(self, Op::Min, 0, ANY, &mut args),
            "+" => call(self, Op::Add, 0, ANY, &mut args),
            "-" => call(self, Op::Sub, 1, 2, &mut args),
            "*" => call(self, Op::Mul, 1, ANY, &mut args),
            "/" => call(self, Op::Div, 2, 2, &mut args),
            "%" => call(self, Op::Mod, 2, 2, &mut args),
            "in" => call(self, Op::In, 2, 2, &mut args),
            "cat" => call(self, Op::Cat, 0, ANY, &mut args),
            "substr" => call(self, Op::Substr, 2, 3, &mut args),
            "merge" => call(self, Op::Merge, 0, ANY, &mut args),
            "missing" => call(self, Op::Missing, 0, ANY, &mut args),
            "missing_some" => call(self, Op::MissingSome, 2, 2, &mut args),
            "log" => call(self, Op::Log, 1, 1, &mut args),
            "distance" => call(self, Op::Distance, 2, 2, &mut args),
            "near" => call(self, Op::Near, 3, 3, &mut args),
            "has_item" => call(self, Op::HasItem, 1, 1, &mut args),
            "item_count" => call(self, Op::ItemCount, 1, 1, &mut args),
            _ => Err(Self::err(path, format!("unknown operator \"{op}\""))),
        }
    }
}

fn point(v: &Val) -> Option<(f64, f64)> {
    match v {
        Val::Arr(a) if a.len() == 2 => Some((a[0].to_number(), a[1].to_number())),
        Val::Obj(o) => Some((o.get("x")?.to_number(), o.get("y")?.to_number())),
        _ => None,
    }
}

fn distance(a: &Val, b: &Val) -> f64 {
    match (point(a), point(b)) {
        (Some((ax, ay)), Some((bx, by))) => ((ax - bx) * (ax - bx) + (ay - by) * (ay - by)).sqrt(),
        _ => f64::NAN,
    }
}

/// JavaScript `String.prototype.substr(start, length)` over UTF-16 code units.
fn substr(s: &str, start: f64, len: Option<f64>) -> String {
    let ascii = s.is_ascii();
    let units: Vec<u16> = if ascii { Vec::new() } else { s.encode_utf16().collect() };
    let size = if ascii { s.len() } else { units.len() } as f64;
    let int = |x: f64| if x.is_nan() { 0.0 } else { x.trunc() };
    let mut start = int(start);
    if start < 0.0 {
        start = (size + start).max(0.0);
    }
    let start = start.min(size);
    let len = len.map_or(size - start, int).max(0.0).min(size - start);
    let range = start as usize..(start + len) as usize;
    if ascii {
        s[range].to_owned()
    } else {
        String::from_utf16_lossy(&units[range])
    }
}

fn items_key(item: &Val) -> [Arc<str>; 3] {
    [Arc::from("session"), Arc::from("items"), Arc::from(item.to_js_string().as_str())]
}

impl Expr {
    fn eval(&self, data: &dyn Scope) -> Val {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Array(items) => Val::Arr(items.iter().map(|e| e.eval(data)).collect()),
            Expr::Var(path, default) => {
                let found = match path {
                    Path::Whole => Some(data.whole()),
                    Path::Static(segs) => data.lookup(segs),
                    Path::Dynamic(e) => match e.eval(data) {
                        Val::Null => Some(data.whole()),
                        Val::Arr(a) if a.is_empty() => Some(data.whole()),
                        Val::Str(s) => data.lookup_dotted(&s),
                        v => data.lookup_dotted(&v.to_js_string()),
                    },
                };
                found.unwrap_or_else(|| default.as_ref().map_or(Val::Null, |d| d.eval(data)))
            }
            Expr::If(parts) => {
                let mut i = 0;
                while i + 1 < parts.len() {
                    if parts[i].eval(data).truthy() {
                        return parts[i + 1].eval(data);
                    }
                    i += 2;
                }
                parts.get(i).map_or(Val::Null, |e| e.eval(data))
            }
            Expr::And(parts) => {
                let mut current = Val::Null;
                for p in parts {
                    current = p.eval(data);
                    if !current.truthy() {
                        return current;
                    }
                }
                current
            }
            Expr::Or(parts) => {
                let mut current = Val::Null;
                for p in parts {
                    current = p.eval(data);
                    if current.truthy() {
                        return current;
                    }
                }
                current
            }
            Expr::Iterate(kind, over, logic) => {
                let items = over.eval(data);
                let items: &[Val] = match &items {
                    Val::Arr(a) => a,
                    _ => &[],
                };
                match kind {
                    Iterate::Map => Val::Arr(items.iter().map(|x| logic.eval(x)).collect()),
                    Iterate::Filter => Val::Arr(items.iter().filter(|x| logic.eval(*x).truthy()).cloned().collect()),
                    Iterate::All => Val::Bool(!items.is_empty() && items.iter().all(|x| logic.eval(x).truthy())),
                    Iterate::Some => Val::Bool(items.iter().any(|x| logic.eval(x).truthy())),
                    Iterate::None => Val::Bool(!items.iter().any(|x| logic.eval(x).truthy())),
                }
            }
            Expr::Reduce(over, logic, initial) => {
                let init = initial.as_ref().map_or(Val::Null, |e| e.eval(data));
                match over.eval(data) {
                    Val::Arr(items) => {
                        items.iter().fold(init, |acc, current| logic.eval(&ReduceScope { current, accumulator: &acc }))
                    }
                    _ => init,
                }
            }
            Expr::Call(op, args) => call(*op, args, data),
        }
    }
}

fn call(op: Op, args: &[Expr], data: &dyn Scope) -> Val {
    // Binary operators are most of what rules do: evaluate both sides without collecting them.
    if let [a, b] = args {
        let binary = |f: fn(&Val, &Val) -> Val| f(&a.eval(data), &b.eval(data));
        match op {
            Op::Eq => return binary(|x, y| Val::Bool(loose_eq(x, y))),
            Op::StrictEq => return binary(|x, y| Val::Bool(strict_eq(x, y))),
            Op::Ne => return binary(|x, y| Val::Bool(!loose_eq(x, y))),
            Op::StrictNe => return binary(|x, y| Val::Bool(!strict_eq(x, y))),
            Op::Lt => return binary(|x, y| Val::Bool(compare(x, y).is_some_and(|o| o.is_lt()))),
            Op::Le => return binary(|x, y| Val::Bool(compare(x, y).is_some_and(|o| o.is_le()))),
            Op::Gt => return binary(|x, y| Val::Bool(compare(x, y).is_some_and(|o| o.is_gt()))),
            Op::Ge => return binary(|x, y| Val::Bool(compare(x, y).is_some_and(|o| o.is_ge()))),
            Op::Add => return binary(|x, y| Val::Num(0.0 + parse_float(x) + parse_float(y))),
            Op::Sub => return binary(|x, y| Val::Num(x.to_number() - y.to_number())),
            Op::Div => return binary(|x, y| Val::Num(x.to_number() / y.to_number())),
            Op::Mod => return binary(|x, y| Val::Num(x.to_number() % y.to_number())),
            Op::Mul => return binary(|x, y| Val::Num(parse_float(x) * parse_float(y))),
            _ => {}
        }
    }
    let v: Vec<Val> = args.iter().map(|e| e.eval(data)).collect();
    let num = |i: usize| v.get(i).map_or(f64::NAN, Val::to_number);
    let ordered = |a: &Val, b: &Val, ok: fn(std::cmp::Ordering) -> bool| compare(a, b).is_some_and(ok);
    match op {
        Op::Eq => Val::Bool(loose_eq(&v[0], &v[1])),
        Op::StrictEq => Val::Bool(strict_eq(&v[0], &v[1])),
        Op::Ne => Val::Bool(!loose_eq(&v[0], &v[1])),
        Op::StrictNe => Val::Bool(!strict_eq(&v[0], &v[1])),
        Op::Not => Val::Bool(!v[0].truthy()),
        Op::NotNot => Val::Bool(v[0].truthy()),
        Op::Lt | Op::Le => {
            let ok: fn(std::cmp::Ordering) -> bool = if op == Op::Lt { |o| o.is_lt() } else { |o| o.is_le() };
            Val::Bool(v.windows(2).all(|w| ordered(&w[0], &w[1], ok)))
        }
        Op::Gt => Val::Bool(ordered(&v[0], &v[1], |o| o.is_gt())),
        Op::Ge => Val::Bool(ordered(&v[0], &v[1], |o| o.is_ge())),
        Op::Max => Val::Num(v.iter().map(Val::to_number).fold(f64::NEG_INFINITY, |a, b| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.max(b)
            }
        })),
        Op::Min => Val::Num(v.iter().map(Val::to_number).fold(f64::INFINITY, |a, b| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.min(b)
            }
        })),
        Op::Add => Val::Num(v.iter().fold(0.0, |a, b| a + parse_float(b))),
        Op::Mul => {
            // Array.reduce without an initial value: one argument comes back unconverted.
            let mut it = v.iter();
            let first = it.next().expect("arity checked").clone();
            it.fold(first, |a, b| Val::Num(parse_float(&a) * parse_float(b)))
        }
        Op::Sub => Val::Num(if v.len() == 1 { -num(0) } else { num(0) - num(1) }),
        Op::Div => Val::Num(num(0) / num(1)),
        Op::Mod => Val::Num(num(0) % num(1)),
        Op::In => Val::Bool(match &v[1] {
            Val::Arr(items) => items.iter().any(|x| strict_eq(x, &v[0])),
            Val::Str(s) if !s.is_empty() => s.contains(v[0].to_js_string().as_str()),
            _ => false,
        }),
        Op::Cat => {
            let mut text = String::new();
            for x in &v {
                match x {
                    Val::Null => {}
                    Val::Str(s) => text.push_str(s),
                    other => text.push_str(&other.to_js_string()),
                }
            }
            Val::str(&text)
        }
        Op::Substr => {
            let source = v[0].to_js_string();
            let start = num(1);
            match v.get(2).map(Val::to_number) {
                Some(end) if end < 0.0 => {
                    let rest = substr(&source, start, None);
                    let keep = rest.encode_utf16().count() as f64 + end;
                    Val::str(&substr(&rest, 0.0, Some(keep)))
                }
                end => Val::str(&substr(&source, start, end)),
            }
        }
        Op::Merge => {
            let mut out = Vec::new();
            for x in v {
                match x {
                    Val::Arr(a) => out.extend(a.iter().cloned()),
                    other => out.push(other),
                }
            }
            Val::Arr(out.into())
        }
        Op::Missing => Val::Arr(missing(&v, data).into()),
        Op::MissingSome => {
            let need = v[0].to_number();
            let options = match &v[1] {
                Val::Arr(_) => v[1].clone(),
                other => Val::Arr(Arc::from(vec![other.clone()])),
            };
            let total = if let Val::Arr(a) = &options { a.len() } else { 0 };
            let absent = missing(std::slice::from_ref(&options), data);
            if (total - absent.len()) as f64 >= need {
                Val::Arr(Arc::from(Vec::new()))
            } else {
                Val::Arr(absent.into())
            }
        }
        Op::Log => v[0].clone(),
        Op::Distance => Val::Num(distance(&v[0], &v[1])),
        Op::Near => Val::Bool(distance(&v[0], &v[1]) <= num(2)),
        Op::HasItem => Val::Bool(data.lookup(&items_key(&v[0])).is_some_and(|n| n.to_number() > 0.0)),
        Op::ItemCount => Val::Num(data.lookup(&items_key(&v[0])).map_or(0.0, |n| n.to_number())),
    }
}

/// The keys (first argument if it is an array, else all arguments) whose `var` is null or "".
fn missing(args: &[Val], data: &dyn Scope) -> Vec<Val> {
    let keys: &[Val] = match args.first() {
        Some(Val::Arr(a)) => a,
        _ => args,
    };
    keys.iter()
        .filter(|k| {
            let found = match k {
                Val::Str(s) => data.lookup_dotted(s),
                other => data.lookup_dotted(&other.to_js_string()),
            };
            match found {
                None | Some(Val::Null) => true,
                Some(Val::Str(s)) => s.is_empty(),
                _ => false,
            }
        })
        .cloned()
        .collect()
}

impl Logic {
    /// Compiles a rule given as JSON.
    pub fn compile(rule: &Value) -> Result<Logic, LogicError> {
        Compiler { nodes: 0 }.compile(rule, "", 0).map(Logic)
    }

    /// Parses and compiles a rule from JSON text.
    pub fn from_json(text: &str) -> Result<Logic, LogicError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| LogicError { path: "$".into(), reason: e.to_string() })?;
        Logic::compile(&v)
    }

    /// Evaluates against any [`Scope`].
    pub fn eval(&self, data: &dyn Scope) -> Val {
        self.0.eval(data)
    }

    /// Evaluates against JSON data and returns JSON, like json-logic-js's `apply`.
    pub fn apply(&self, data: &Value) -> Value {
        self.eval(&Val::from_json(data)).to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(rule: Value, data: Value) -> Value {
        Logic::compile(&rule).unwrap().apply(&data)
    }

    #[test]
    fn silent_cases_follow_json_logic_js() {
        assert_eq!(apply(json!({"!!": [{}]}), json!(null)), json!(true));
        assert_eq!(apply(json!({"/": [1, 0]}), json!(null)), json!(null));
        assert_eq!(apply(json!({">": [{"/": [1, 0]}, 1e308]}), json!(null)), json!(true));
        assert_eq!(apply(json!({"+": ["3 apples", 1]}), json!(null)), json!(4));
        assert_eq!(apply(json!({"var": ["a", 5]}), json!({"a": null})), json!(null));
        assert_eq!(apply(json!({"map": [[0, 1], {"var": ""}]}), json!(null)), json!([{}, 1]));
        assert_eq!(apply(json!({"cat": [null, "a", [1, null, 2]]}), json!(null)), json!("a1,,2"));
        assert_eq!(apply(json!({"==": [[1], [1]]}), json!(null)), json!(false));
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
