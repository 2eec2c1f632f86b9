//! The compiled expression tree and its evaluation.
//!
//! Evaluation answers `Cow`s: literals and values read from the data come back borrowed, so a
//! rule that only reads and compares copies nothing and touches no reference count. Errors
//! (`throw`, invalid arithmetic) travel as `Err(Thrown)` until a `try` catches them.

use super::scope::{Frame, ReduceScope, Scope};
use super::value::{compare, loose_eq, parse_float, strict_eq, Val};
use super::Thrown;
use crate::geo::LonLat;
use crate::geom::Point;
use crate::position::Position;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
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

impl Op {
    /// Whether the operator reads the current frame's data (beyond its arguments).
    pub fn reads_data(self) -> bool {
        matches!(self, Op::Missing | Op::MissingSome | Op::HasItem | Op::ItemCount)
    }

    /// Whether the operator can raise an error of its own.
    pub fn may_throw(self) -> bool {
        matches!(
            self,
            Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Max | Op::Min | Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Iterate {
    Map,
    Filter,
    All,
    Some,
    None,
}

/// `var`'s path: JsonLogic's dotted string, split once when it is a literal.
#[derive(Debug, Clone)]
pub(super) enum VarPath {
    Whole,
    Static(Box<[Arc<str>]>),
    Dynamic(Box<Expr>),
}

/// `val`'s and `exists`' path: segments (no dots), after climbing `climb` steps.
#[derive(Debug, Clone)]
pub(super) enum ValPath {
    Static(Box<[Arc<str>]>),
    Dynamic(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub(super) enum Expr {
    Lit(Val),
    /// An expression whose every evaluation raises this error (folded when compiling).
    Fail(Val),
    Array(Vec<Expr>),
    Var(VarPath, Option<Box<Expr>>),
    Val(u32, ValPath),
    Exists(u32, ValPath),
    If(Vec<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Coalesce(Vec<Expr>),
    Try(Vec<Expr>),
    Throw(Box<Expr>),
    Iterate(Iterate, Box<Expr>, Box<Expr>),
    Reduce(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Call(Op, Vec<Expr>),
}

pub(super) type Out<'a> = Result<Cow<'a, Val>, Thrown>;

fn owned<'a>(v: Val) -> Out<'a> {
    Ok(Cow::Owned(v))
}

/// JsonLogic's NaN error, `{"type": "NaN"}`: arithmetic or an ordering on something that is not
/// a number.
pub(super) fn nan() -> Thrown {
    Thrown::of_type("NaN")
}

fn number(n: f64) -> Result<Val, Thrown> {
    if n.is_nan() {
        Err(nan())
    } else {
        Ok(Val::Num(n))
    }
}

/// `==` and friends on two evaluated operands.
fn relation(op: Op, x: &Val, y: &Val) -> Result<bool, Thrown> {
    let ordered = |ok: fn(Ordering) -> bool| compare(x, y).map(ok).ok_or_else(nan);
    Ok(match op {
        Op::Eq => loose_eq(x, y),
        Op::StrictEq => strict_eq(x, y),
        Op::Ne => !loose_eq(x, y),
        Op::StrictNe => !strict_eq(x, y),
        Op::Lt => ordered(Ordering::is_lt)?,
        Op::Le => ordered(Ordering::is_le)?,
        Op::Gt => ordered(Ordering::is_gt)?,
        _ => ordered(Ordering::is_ge)?,
    })
}

impl Expr {
    /// Evaluates in a frame. Leaves (literals, static `var` paths) are answered here without a
    /// call; everything else goes to its own function, so that this one stays small and cheap to
    /// enter at every node.
    #[inline]
    pub fn eval<'a>(&'a self, cx: &Frame<'a>) -> Out<'a> {
        match self {
            Expr::Lit(v) => Ok(Cow::Borrowed(v)),
            Expr::Var(VarPath::Static(segments), None) => Ok(cx.data.lookup(segments).unwrap_or(NULL)),
            Expr::Var(VarPath::Whole, _) => Ok(var_whole(cx.data)),
            Expr::Call(op, args) => call(*op, args, cx),
            _ => self.eval_node(cx),
        }
    }

    #[inline(never)]
    fn eval_node<'a>(&'a self, cx: &Frame<'a>) -> Out<'a> {
        match self {
            Expr::Lit(_) | Expr::Call(..) => self.eval(cx),
            Expr::Fail(e) => Err(Thrown(e.clone())),
            Expr::Array(items) => {
                owned(Val::Arr(items.iter().map(|e| e.eval(cx).map(Cow::into_owned)).collect::<Result<_, _>>()?))
            }
            Expr::Var(path, default) => {
                let found = match path {
                    VarPath::Whole => Some(var_whole(cx.data)),
                    VarPath::Static(segments) => cx.data.lookup(segments),
                    VarPath::Dynamic(e) => match &*e.eval(cx)? {
                        Val::Null => Some(var_whole(cx.data)),
                        Val::Arr(a) if a.is_empty() => Some(var_whole(cx.data)),
                        Val::Str(s) => cx.data.lookup_dotted(s),
                        v => cx.data.lookup_dotted(&v.to_js_string()),
                    },
                };
                match found {
                    Some(v) => Ok(v),
                    None => default.as_ref().map_or(Ok(NULL), |d| d.eval(cx)),
                }
            }
            Expr::Val(climb, path) => Ok(val_lookup(cx, *climb, path)?.unwrap_or(NULL)),
            Expr::Exists(climb, path) => owned(Val::Bool(val_lookup(cx, *climb, path)?.is_some())),
            Expr::If(parts) => {
                let mut i = 0;
                while i + 1 < parts.len() {
                    if parts[i].eval(cx)?.truthy() {
                        return parts[i + 1].eval(cx);
                    }
                    i += 2;
                }
                parts.get(i).map_or(Ok(NULL), |e| e.eval(cx))
            }
            Expr::And(parts) => {
                let mut current = NULL;
                for p in parts {
                    current = p.eval(cx)?;
                    if !current.truthy() {
                        break;
                    }
                }
                Ok(current)
            }
            Expr::Or(parts) => {
                let mut current = NULL;
                for p in parts {
                    current = p.eval(cx)?;
                    if current.truthy() {
                        break;
                    }
                }
                Ok(current)
            }
            Expr::Coalesce(parts) => {
                for p in parts {
                    let v = p.eval(cx)?;
                    if !matches!(*v, Val::Null) {
                        return Ok(v);
                    }
                }
                Ok(NULL)
            }
            Expr::Try(parts) => try_parts(parts, cx),
            Expr::Throw(e) => Err(Thrown::from_value(e.eval(cx)?.into_owned())),
            Expr::Iterate(kind, over, logic) => iterate(*kind, over, logic, cx),
            Expr::Reduce(over, logic, initial) => {
                let mut acc = match initial {
                    Some(e) => e.eval(cx)?.into_owned(),
                    None => Val::Null,
                };
                if let Val::Arr(items) = &*over.eval(cx)? {
                    for (i, current) in items.iter().enumerate() {
                        let scope = ReduceScope { current, accumulator: &acc };
                        let frame = Frame { data: &scope, index: Some(i as u32), up: Some(cx) };
                        let next = logic.eval(&frame)?.into_owned();
                        acc = next;
                    }
                }
                owned(acc)
            }
        }
    }

    /// Whether evaluating this can raise an error (a rule's effects are only made atomic, with a
    /// snapshot of the session, when one of them can).
    pub fn may_throw(&self) -> bool {
        let any = |parts: &[Expr]| parts.iter().any(Expr::may_throw);
        match self {
            Expr::Lit(_) => false,
            Expr::Fail(_) | Expr::Throw(_) => true,
            Expr::Array(parts) | Expr::If(parts) | Expr::And(parts) | Expr::Or(parts) | Expr::Coalesce(parts) => {
                any(parts)
            }
            Expr::Try(parts) => parts.last().is_some_and(Expr::may_throw),
            Expr::Var(path, default) => {
                matches!(path, VarPath::Dynamic(e) if e.may_throw()) || default.as_ref().is_some_and(|d| d.may_throw())
            }
            Expr::Val(_, path) | Expr::Exists(_, path) => matches!(path, ValPath::Dynamic(parts) if any(parts)),
            Expr::Iterate(_, over, logic) => over.may_throw() || logic.may_throw(),
            Expr::Reduce(over, logic, initial) => {
                over.may_throw() || logic.may_throw() || initial.as_ref().is_some_and(|e| e.may_throw())
            }
            Expr::Call(op, args) => op.may_throw() || any(args),
        }
    }
}

const NULL: Cow<'static, Val> = Cow::Owned(Val::Null);

fn try_parts<'a>(parts: &'a [Expr], cx: &Frame<'a>) -> Out<'a> {
    let mut caught = match parts.first().map(|p| p.eval(cx)) {
        Some(Ok(v)) => return Ok(v),
        Some(Err(e)) => e,
        None => return Ok(NULL),
    };
    for fallback in &parts[1..] {
        let frame = Frame { data: &caught.0, index: None, up: Some(cx) };
        match fallback.eval(&frame) {
            Ok(v) => return owned(v.into_owned()),
            Err(e) => caught = e,
        }
    }
    Err(caught)
}

fn iterate<'a>(kind: Iterate, over: &'a Expr, logic: &'a Expr, cx: &Frame<'a>) -> Out<'a> {
    let items = over.eval(cx)?;
    let items: &[Val] = match &*items {
        Val::Arr(a) => a,
        _ => &[],
    };
    let frame = |i: usize, x| Frame { data: x, index: Some(i as u32), up: Some(cx) };
    match kind {
        Iterate::Map => {
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                out.push(logic.eval(&frame(i, x))?.into_owned());
            }
            Ok(array(out))
        }
        Iterate::Filter => {
            let mut out = Vec::new();
            for (i, x) in items.iter().enumerate() {
                if logic.eval(&frame(i, x))?.truthy() {
                    out.push(x.clone());
                }
            }
            Ok(array(out))
        }
        Iterate::All | Iterate::Some | Iterate::None => {
            // all: stop at the first false; some and none: at the first true.
            let stop_on = kind != Iterate::All;
            let mut hit = false;
            for (i, x) in items.iter().enumerate() {
                if logic.eval(&frame(i, x))?.truthy() == stop_on {
                    hit = true;
                    break;
                }
            }
            owned(Val::Bool(match kind {
                Iterate::All => !items.is_empty() && !hit,
                Iterate::Some => hit,
                _ => !hit,
            }))
        }
    }
}

/// `var`'s whole data: json-logic-js reads falsy data (`null`, `0`, `""`, `false`) as `{}`.
fn var_whole<'a>(data: &'a dyn Scope) -> Cow<'a, Val> {
    let whole = data.whole();
    if whole.truthy() || matches!(*whole, Val::Arr(_)) {
        whole
    } else {
        Cow::Owned(Val::Obj(Arc::default()))
    }
}

fn val_lookup<'a>(cx: &Frame<'a>, climb: u32, path: &'a ValPath) -> Result<Option<Cow<'a, Val>>, Thrown> {
    match path {
        ValPath::Static(segments) => Ok(cx.climb_lookup(climb, segments)),
        ValPath::Dynamic(parts) => {
            let mut segments: Vec<Arc<str>> = Vec::with_capacity(parts.len());
            for p in parts {
                match &*p.eval(cx)? {
                    // A path computed as a whole: `{"val": {"var": "path"}}` with an array of keys.
                    Val::Arr(a) if parts.len() == 1 => segments.extend(a.iter().map(segment)),
                    Val::Null if parts.len() == 1 => {}
                    v => segments.push(segment(v)),
                }
            }
            Ok(cx.climb_lookup(climb, &segments))
        }
    }
}

/// A path segment: strings as they are, numbers as JavaScript prints them.
pub(super) fn segment(v: &Val) -> Arc<str> {
    match v {
        Val::Str(s) => Arc::clone(s),
        other => Arc::from(other.to_js_string()),
    }
}

/// A point as rules write one: `[x, y]` or `{"x", "y"}` in metres, or `{"lon", "lat"}` in degrees
/// on the Earth.
fn point(v: &Val) -> Option<Position> {
    match v {
        Val::Arr(a) if a.len() == 2 => Some(Position::Plane(Point::new(a[0].to_number(), a[1].to_number()))),
        Val::Obj(o) => match (o.get("x"), o.get("y"), o.get("lon"), o.get("lat")) {
            (Some(x), Some(y), _, _) => Some(Position::Plane(Point::new(x.to_number(), y.to_number()))),
            (_, _, Some(lon), Some(lat)) => Some(Position::Earth(LonLat::new(lon.to_number(), lat.to_number()))),
            _ => None,
        },
        _ => None,
    }
}

/// Metres between two points: straight on a plane, along the geodesic on the Earth; NaN between
/// things that are not points of one kind, or Earth points out of range.
fn distance(a: &Val, b: &Val) -> f64 {
    match (point(a), point(b)) {
        (Some(Position::Plane(a)), Some(Position::Plane(b))) => {
            ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).sqrt()
        }
        (Some(Position::Earth(a)), Some(Position::Earth(b))) if a.check().is_ok() && b.check().is_ok() => a.distance(b),
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
    [Arc::from("session"), Arc::from("items"), segment(item)]
}

#[inline(never)]
fn call<'a>(op: Op, args: &'a [Expr], cx: &Frame<'a>) -> Out<'a> {
    // Binary operators are most of what rules do: both sides evaluated, nothing collected.
    let binary = matches!(
        op,
        Op::Eq
            | Op::StrictEq
            | Op::Ne
            | Op::StrictNe
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
            | Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Mod
            | Op::In
            | Op::Distance
    );
    if let ([a, b], true) = (args, binary) {
        let (x, y) = (a.eval(cx)?, b.eval(cx)?);
        let (x, y) = (&*x, &*y);
        let v = match op {
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                Val::Bool(relation(op, x, y)?)
            }
            Op::Add => number(0.0 + parse_float(x) + parse_float(y))?,
            Op::Sub => number(x.to_number() - y.to_number())?,
            Op::Mul => number(parse_float(x) * parse_float(y))?,
            Op::Div => {
                let d = y.to_number();
                if d == 0.0 {
                    return Err(nan());
                }
                number(x.to_number() / d)?
            }
            Op::Mod => number(x.to_number() % y.to_number())?,
            Op::In => Val::Bool(contains(y, x)),
            _ => Val::Num(distance(x, y)),
        };
        return owned(v);
    }
    nary(op, args, cx)
}

/// Whether `needle` is in `haystack` (an array, by `===`, or a non-empty string).
fn contains(haystack: &Val, needle: &Val) -> bool {
    match haystack {
        Val::Arr(items) => items.iter().any(|x| strict_eq(x, needle)),
        Val::Str(s) if !s.is_empty() => match needle {
            Val::Str(n) => s.contains(&**n),
            other => s.contains(other.to_js_string().as_str()),
        },
        _ => false,
    }
}

/// Operators with any number of arguments, each evaluated as it is needed.
fn nary<'a>(op: Op, args: &'a [Expr], cx: &Frame<'a>) -> Out<'a> {
    let arg = |i: usize| args.get(i).map_or(Ok(Cow::Owned(Val::Null)), |e| e.eval(cx));
    let v = match op {
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Gt | Op::Ge => {
            Val::Bool(relation(op, &*arg(0)?, &*arg(1)?)?)
        }
        Op::Lt | Op::Le => {
            // `{"<": [a, b, c]}` is "between": a < b and b < c.
            let mut prev = arg(0)?;
            for e in &args[1..] {
                let next = e.eval(cx)?;
                if !relation(op, &prev, &next)? {
                    return owned(Val::Bool(false));
                }
                prev = next;
            }
            Val::Bool(true)
        }
        Op::Not => Val::Bool(!arg(0)?.truthy()),
        Op::NotNot => Val::Bool(arg(0)?.truthy()),
        Op::Max | Op::Min => {
            if args.is_empty() {
                return Err(Thrown::of_type("Invalid Arguments"));
            }
            let mut best = f64::NAN;
            for e in args {
                let n = e.eval(cx)?.to_number();
                if n.is_nan() {
                    return Err(nan());
                }
                if best.is_nan() || (op == Op::Max && n > best) || (op == Op::Min && n < best) {
                    best = n;
                }
            }
            Val::Num(best)
        }
        Op::Add => {
            let mut sum = 0.0;
            for e in args {
                sum += parse_float(&*e.eval(cx)?);
            }
            number(sum)?
        }
        Op::Mul => {
            // Array.reduce without an initial value: one argument comes back unconverted.
            let first = arg(0)?;
            if args.len() == 1 {
                return Ok(first);
            }
            let mut product = parse_float(&first);
            for e in &args[1..] {
                product *= parse_float(&*e.eval(cx)?);
            }
            number(product)?
        }
        Op::Sub => number(-arg(0)?.to_number())?,
        Op::Cat => {
            let mut text = String::new();
            for e in args {
                match &*e.eval(cx)? {
                    Val::Null => {}
                    Val::Str(s) => text.push_str(s),
                    other => text.push_str(&other.to_js_string()),
                }
            }
            Val::str(&text)
        }
        Op::Substr => {
            let source = arg(0)?.to_js_string();
            let start = arg(1)?.to_number();
            match args.get(2).map(|e| e.eval(cx).map(|v| v.to_number())).transpose()? {
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
            for e in args {
                match e.eval(cx)?.into_owned() {
                    Val::Arr(a) => out.extend(a.iter().cloned()),
                    other => out.push(other),
                }
            }
            return Ok(array(out));
        }
        Op::Missing => {
            // The keys: the first argument if it is an array, else every argument.
            let mut absent = Vec::new();
            let Some(first) = args.first() else { return Ok(array(absent)) };
            let first = first.eval(cx)?;
            if let Val::Arr(keys) = &*first {
                absent.extend(keys.iter().filter(|k| is_missing(k, cx.data)).cloned());
            } else {
                for key in std::iter::once(Ok(first)).chain(args[1..].iter().map(|e| e.eval(cx))) {
                    let key = key?;
                    if is_missing(&key, cx.data) {
                        absent.push(key.into_owned());
                    }
                }
            }
            return Ok(array(absent));
        }
        Op::MissingSome => {
            let need = arg(0)?.to_number();
            let options = arg(1)?;
            let options = match &*options {
                Val::Arr(a) => a,
                other => std::slice::from_ref(other),
            };
            let absent: Vec<Val> = options.iter().filter(|k| is_missing(k, cx.data)).cloned().collect();
            let enough = (options.len() - absent.len()) as f64 >= need;
            return Ok(array(if enough { Vec::new() } else { absent }));
        }
        Op::Log => return arg(0),
        Op::Near => {
            let (a, b, r) = (arg(0)?, arg(1)?, arg(2)?);
            Val::Bool(distance(&a, &b) <= r.to_number())
        }
        Op::HasItem => {
            let item = arg(0)?;
            Val::Bool(cx.data.lookup(&items_key(&item)).is_some_and(|n| n.to_number() > 0.0))
        }
        Op::ItemCount => {
            let item = arg(0)?;
            Val::Num(cx.data.lookup(&items_key(&item)).map_or(0.0, |n| n.to_number()))
        }
        // These take exactly two arguments (checked when compiling) and are answered by `call`.
        Op::Div | Op::Mod | Op::In | Op::Distance => Val::Null,
    };
    owned(v)
}

/// Whether `key`'s `var` is null or "" (or missing).
fn is_missing(key: &Val, data: &dyn Scope) -> bool {
    let found = match key {
        Val::Str(s) => data.lookup_dotted(s),
        other => data.lookup_dotted(&other.to_js_string()),
    };
    match found.as_deref() {
        None | Some(Val::Null) => true,
        Some(Val::Str(s)) => s.is_empty(),
        _ => false,
    }
}

/// An array result; the empty one is shared, so answering `[]` allocates nothing.
fn array<'a>(items: Vec<Val>) -> Cow<'a, Val> {
    static EMPTY: std::sync::LazyLock<Val> = std::sync::LazyLock::new(|| Val::Arr(Arc::from(Vec::new())));
    if items.is_empty() {
        Cow::Borrowed(&EMPTY)
    } else {
        Cow::Owned(Val::Arr(items.into()))
    }
}
