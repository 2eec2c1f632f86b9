//! The compiled expression tree and its evaluation.
//!
//! Evaluation answers `Cow`s: literals and values read from the data come back borrowed, so a
//! rule that only reads and compares copies nothing and touches no reference count. Errors
//! (`throw`, invalid arithmetic) travel as `Err(Thrown)` until a `try` catches them.
//!
//! What makes it fast is moving as few values as possible (BENCHMARKS.md, "Rules and sessions").
//! A value is a tag and a payload written by separate stores; copying it whole, as moving it out
//! of a `Result` does, reads it back with wider loads the processor cannot forward from those
//! stores, a stall of tens of cycles that was most of the time of a small rule. So:
//!
//! - operands are read where they lie ([`Expr::held`]: literals, and data the [`Scope`] holds,
//!   come back as a reference in a register; [`read`] looks at an evaluated value in place);
//! - tests and arithmetic have their own paths that answer a `bool` or an `f64` and build no
//!   value at all ([`Expr::truthy`], `arithmetic`), which conditions, filters, quantifiers and
//!   `reduce` use;
//! - the compiler resolves what it can: `current` and `accumulator` in a `reduce` body
//!   ([`Expr::Reduced`]), the keys of `missing` written in the rule ([`Keys`]: split once, with
//!   the answers for none, one or all of them missing ready, so that they allocate nothing);
//! - arrays are allocated once at their size, and `filter` keeping everything shares its input.

use super::scope::{walk, walk_held, Frame, Held, ReduceScope, Scope, Slot};
use super::value::{compare, loose_eq, parse_float, strict_eq, Val};
use super::Thrown;
use crate::geo::LonLat;
use crate::geom::Point;
use crate::position::Position;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

/// An operand's value: literals and values the data holds are read straight (a reference, in a
/// register); anything else is evaluated into `slot` and read there.
macro_rules! operand {
    ($e:expr, $cx:expr, $slot:ident) => {
        match $e.held($cx) {
            Some(v) => v,
            None => {
                $slot = $e.eval($cx);
                read(&$slot)?
            }
        }
    };
}

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

    /// Whether the operator with `n` arguments always answers a number (`*` of one argument
    /// answers it unconverted).
    pub fn numeric(self, n: usize) -> bool {
        match self {
            Op::Add | Op::Sub | Op::Div | Op::Mod => true,
            Op::Mul => n >= 2,
            _ => false,
        }
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
    /// `var` of `current` or `accumulator` (and a path below) directly in a `reduce` body.
    Reduced(Slot, Box<[Arc<str>]>),
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
    /// `missing` or `missing_some` of keys the rule writes out.
    Missing(Box<Keys>),
}

/// The keys of a `missing` or `missing_some` the rule writes out: each path split once, and the
/// answers that need no allocation kept ready (none, one or all of the keys missing).
#[derive(Debug, Clone)]
pub(super) struct Keys {
    /// The keys as written: the answer when all are missing.
    pub all: Val,
    pub keys: Box<[Key]>,
    /// `missing_some`'s count: nothing is missing when at least this many keys are present.
    pub need: Option<f64>,
}

#[derive(Debug, Clone)]
pub(super) struct Key {
    pub key: Val,
    /// The dotted path, split (empty: the whole data).
    pub segments: Box<[Arc<str>]>,
    /// `[key]`: the answer when only this key is missing.
    pub alone: Val,
}

impl Keys {
    pub fn new(keys_in_rule: &[Val], need: Option<f64>) -> Keys {
        let keys: Box<[Key]> = keys_in_rule
            .iter()
            .map(|k| {
                let text = segment(k);
                let segments = if text.is_empty() { Box::default() } else { text.split('.').map(Arc::from).collect() };
                Key { key: k.clone(), segments, alone: Val::Arr(Arc::from([k.clone()])) }
            })
            .collect();
        Keys { all: Val::Arr(keys_in_rule.into()), keys, need }
    }
}

impl Key {
    /// Whether the key's `var` is missing, `null` or `""`.
    fn absent(&self, data: &dyn Scope) -> bool {
        if self.segments.is_empty() {
            return blank(Some(&data.whole()));
        }
        match data.find(&self.segments).or_null() {
            Some(v) => blank(Some(v)),
            None => blank(data.lookup(&self.segments).as_deref()),
        }
    }
}

fn missing<'a>(k: &'a Keys, cx: &Frame<'a>) -> Out<'a> {
    let (mut count, mut first) = (0, 0);
    for (i, key) in k.keys.iter().enumerate() {
        if key.absent(cx.data) {
            if count == 0 {
                first = i;
            }
            count += 1;
        }
    }
    let enough = k.need.is_some_and(|need| (k.keys.len() - count) as f64 >= need);
    Ok(match count {
        _ if enough => array(Vec::new()),
        0 => array(Vec::new()),
        1 => Cow::Borrowed(&k.keys[first].alone),
        n if n == k.keys.len() => Cow::Borrowed(&k.all),
        n => {
            let absent = k.keys.iter().filter(|key| key.absent(cx.data));
            Cow::Owned(chosen(n, absent.map(|key| &key.key)))
        }
    })
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

/// `==` and friends on two evaluated operands.
fn relation(op: Op, x: &Val, y: &Val) -> Result<bool, Thrown> {
    // Two numbers, most comparisons in rules, without JavaScript's coercions.
    if let (Val::Num(a), Val::Num(b)) = (x, y) {
        let (a, b) = (*a, *b);
        return match op {
            Op::Eq | Op::StrictEq => Ok(a == b),
            Op::Ne | Op::StrictNe => Ok(a != b),
            _ if a.is_nan() || b.is_nan() => Err(nan()),
            Op::Lt => Ok(a < b),
            Op::Le => Ok(a <= b),
            Op::Gt => Ok(a > b),
            _ => Ok(a >= b),
        };
    }
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
            Expr::Var(VarPath::Static(segments), None) => match cx.data.find(segments) {
                Held::Here(v) => Ok(Cow::Borrowed(v)),
                Held::Missing => Ok(NULL),
                Held::Computed => Ok(match cx.data.lookup(segments) {
                    Some(v) => v,
                    None => NULL,
                }),
            },
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
            Expr::Array(items) => owned(exact(items, |_, e, error| e.owned(cx, error))?),
            Expr::Var(path, default) => {
                let found = match path {
                    VarPath::Whole => Some(var_whole(cx.data)),
                    VarPath::Static(segments) => cx.data.lookup(segments),
                    VarPath::Dynamic(e) => match read(&e.eval(cx))? {
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
            Expr::Reduced(slot, rest) => {
                Ok(cx.reduce.and_then(|r| walk(r.slot(*slot), rest.iter().map(|s| &**s))).unwrap_or(NULL))
            }
            Expr::Val(climb, path) => Ok(val_lookup(cx, *climb, path)?.unwrap_or(NULL)),
            Expr::Exists(climb, path) => owned(Val::Bool(val_lookup(cx, *climb, path)?.is_some())),
            Expr::If(parts) => branch(parts, cx)?.map_or(Ok(NULL), |e| e.eval(cx)),
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
            Expr::Missing(keys) => missing(keys, cx),
            Expr::Throw(e) => Err(Thrown::from_value(e.eval(cx)?.into_owned())),
            Expr::Iterate(kind, over, logic) => iterate(*kind, over, logic, cx),
            Expr::Reduce(over, logic, initial) => {
                let mut acc = match initial {
                    Some(e) => e.eval(cx)?.into_owned(),
                    None => Val::Null,
                };
                let over = over.eval(cx);
                if let Val::Arr(items) = read(&over)? {
                    for (i, current) in items.iter().enumerate() {
                        let scope = ReduceScope { current, accumulator: &acc };
                        let frame = Frame { reduce: Some(&scope), ..cx.element(&scope, i) };
                        let mut error = None;
                        acc = logic.owned(&frame, &mut error);
                        if let Some(e) = error {
                            return Err(e);
                        }
                    }
                }
                owned(acc)
            }
        }
    }

    /// The value when it is a literal or held by the data as it is; `None` means evaluate.
    #[inline(always)]
    fn held<'a>(&'a self, cx: &Frame<'a>) -> Option<&'a Val> {
        match self {
            Expr::Lit(v) => Some(v),
            Expr::Var(VarPath::Static(segments), None) => cx.data.find(segments).or_null(),
            Expr::Var(VarPath::Whole, _) => match cx.data.find(&[]) {
                Held::Here(v) if v.truthy() || matches!(v, Val::Arr(_)) => Some(v),
                Held::Here(_) => Some(&EMPTY_OBJECT),
                _ => None,
            },
            Expr::Reduced(slot, rest) => cx.reduce.and_then(|r| walk_held(r.slot(*slot), rest).or_null()),
            _ => None,
        }
    }

    /// Whether the value is truthy, without building it where the node is a test (comparisons,
    /// `!`, `and`, `all`...): conditions, filters and quantifiers go this way.
    pub fn truthy<'a>(&'a self, cx: &Frame<'a>) -> Result<bool, Thrown> {
        if let Some(v) = self.held(cx) {
            return Ok(v.truthy());
        }
        match self {
            Expr::Call(op, args) => test(*op, args, cx),
            Expr::And(parts) => {
                for p in parts {
                    if !p.truthy(cx)? {
                        return Ok(false);
                    }
                }
                Ok(!parts.is_empty())
            }
            Expr::Or(parts) => {
                for p in parts {
                    if p.truthy(cx)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::If(parts) => branch(parts, cx)?.map_or(Ok(false), |e| e.truthy(cx)),
            Expr::Iterate(kind @ (Iterate::All | Iterate::Some | Iterate::None), over, logic) => {
                quantify(*kind, over, logic, cx)
            }
            _ => Ok(read(&self.eval(cx))?.truthy()),
        }
    }

    /// The value as a number, read by `convert` (`parseFloat` for `+` and `*`'s operands,
    /// `Number()` for the others), without building it where the node computes a number.
    #[inline(always)]
    fn number<'a>(&'a self, cx: &Frame<'a>, convert: fn(&Val) -> f64) -> Result<f64, Thrown> {
        match self {
            Expr::Call(op, args) if op.numeric(args.len()) => arithmetic(*op, args, cx),
            _ => {
                let slot;
                Ok(convert(operand!(self, cx, slot)))
            }
        }
    }

    /// The value, owned: a number computed as a number, anything else evaluated and copied out.
    /// An error goes to `error` (the first one is kept) and the value is then null: answering
    /// the value itself, not a `Result`, lets it be built where it is wanted (an array's item).
    fn owned<'a>(&'a self, cx: &Frame<'a>, error: &mut Option<Thrown>) -> Val {
        let mut failed = |e| {
            error.get_or_insert(e);
            Val::Null
        };
        match self {
            Expr::Call(op, args) if op.numeric(args.len()) => match arithmetic(*op, args, cx) {
                Ok(n) => Val::Num(n),
                Err(e) => failed(e),
            },
            _ => match self.held(cx) {
                Some(v) => v.clone(),
                None => match self.eval(cx) {
                    Ok(Cow::Borrowed(v)) => v.clone(),
                    Ok(Cow::Owned(v)) => v,
                    Err(e) => failed(e),
                },
            },
        }
    }

    /// Whether evaluating this can raise an error (a rule's effects are only made atomic, with a
    /// snapshot of the session, when one of them can).
    pub fn may_throw(&self) -> bool {
        let any = |parts: &[Expr]| parts.iter().any(Expr::may_throw);
        match self {
            Expr::Lit(_) | Expr::Reduced(..) | Expr::Missing(_) => false,
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

/// An evaluation's value, read in place. Moving it out of its `Result` (as `?` does) copies it
/// with wide loads the processor cannot forward from the narrow stores that just wrote it: that
/// stall was most of the time of a small rule. Errors, being rare, are cloned.
#[inline(always)]
fn read<'r>(r: &'r Out<'_>) -> Result<&'r Val, Thrown> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(e.clone()),
    }
}

/// The part of an `if` that answers: the value after the first truthy condition, else the
/// trailing default (none without one).
fn branch<'a>(parts: &'a [Expr], cx: &Frame<'a>) -> Result<Option<&'a Expr>, Thrown> {
    let mut i = 0;
    while i + 1 < parts.len() {
        if parts[i].truthy(cx)? {
            return Ok(Some(&parts[i + 1]));
        }
        i += 2;
    }
    Ok(parts.get(i))
}

fn try_parts<'a>(parts: &'a [Expr], cx: &Frame<'a>) -> Out<'a> {
    let mut caught = match parts.first().map(|p| p.eval(cx)) {
        Some(Ok(v)) => return Ok(v),
        Some(Err(e)) => e,
        None => return Ok(NULL),
    };
    for fallback in &parts[1..] {
        let frame = Frame { data: &caught.0, index: None, up: Some(cx), reduce: None };
        match fallback.eval(&frame) {
            Ok(v) => return owned(v.into_owned()),
            Err(e) => caught = e,
        }
    }
    Err(caught)
}

fn iterate<'a>(kind: Iterate, over: &'a Expr, logic: &'a Expr, cx: &Frame<'a>) -> Out<'a> {
    let slot;
    let over_value = operand!(over, cx, slot);
    let items: &[Val] = match over_value {
        Val::Arr(a) => a,
        _ => &[],
    };
    let frame = |i: usize, x| cx.element(x, i);
    match kind {
        Iterate::Map if items.is_empty() => Ok(array(Vec::new())),
        Iterate::Map => owned(exact(items, |i, x, error| logic.owned(&frame(i, x), error))?),
        Iterate::Filter => {
            // `None` while every element so far is kept: then the answer is the array itself.
            let mut kept: Option<Vec<Val>> = None;
            for (i, x) in items.iter().enumerate() {
                match (logic.truthy(&frame(i, x))?, &mut kept) {
                    (true, None) => {}
                    (false, None) => kept = Some(items[..i].to_vec()),
                    (true, Some(some)) => some.push(x.clone()),
                    (false, Some(_)) => {}
                }
            }
            match kept {
                None if !items.is_empty() => owned(over_value.clone()),
                None => Ok(array(Vec::new())),
                Some(some) => Ok(array(some)),
            }
        }
        _ => owned(Val::Bool(quantify(kind, over, logic, cx)?)),
    }
}

/// `all`, `some` and `none`: all stops at the first false element, some and none at the first
/// true one.
fn quantify<'a>(kind: Iterate, over: &'a Expr, logic: &'a Expr, cx: &Frame<'a>) -> Result<bool, Thrown> {
    let slot;
    let items: &[Val] = match operand!(over, cx, slot) {
        Val::Arr(a) => a,
        _ => &[],
    };
    let stop_on = kind != Iterate::All;
    for (i, x) in items.iter().enumerate() {
        if logic.truthy(&cx.element(x, i))? == stop_on {
            return Ok(kind == Iterate::Some);
        }
    }
    Ok(match kind {
        Iterate::All => !items.is_empty(),
        Iterate::Some => false,
        _ => true,
    })
}

static EMPTY_OBJECT: LazyLock<Val> = LazyLock::new(|| Val::Obj(Arc::default()));

/// `var`'s whole data: json-logic-js reads falsy data (`null`, `0`, `""`, `false`) as `{}`.
fn var_whole<'a>(data: &'a dyn Scope) -> Cow<'a, Val> {
    let whole = data.whole();
    if whole.truthy() || matches!(*whole, Val::Arr(_)) {
        whole
    } else {
        Cow::Borrowed(&EMPTY_OBJECT)
    }
}

/// An array of the `count` values `values` gives, allocated once at its size: a `Range` mapped is
/// an iterator of known length, which `Arc<[Val]>` collects without a `Vec` to copy from.
fn chosen<'v>(count: usize, mut values: impl Iterator<Item = &'v Val>) -> Val {
    Val::Arr((0..count).map(|_| values.next().cloned().unwrap_or_default()).collect())
}

/// An array of one value per item, allocated once at its size (an iterator of known length
/// makes `Arc<[Val]>` directly, where a `Vec` would be copied into it). On an error the
/// remaining items are still computed (evaluation has no side effects) and the first error is
/// returned.
fn exact<'t, T>(items: &'t [T], mut f: impl FnMut(usize, &'t T, &mut Option<Thrown>) -> Val) -> Result<Val, Thrown> {
    let mut error = None;
    let values: Arc<[Val]> = items.iter().enumerate().map(|(i, x)| f(i, x, &mut error)).collect();
    match error {
        Some(e) => Err(e),
        None => Ok(Val::Arr(values)),
    }
}

fn val_lookup<'a>(cx: &Frame<'a>, climb: u32, path: &'a ValPath) -> Result<Option<Cow<'a, Val>>, Thrown> {
    match path {
        ValPath::Static(segments) => Ok(cx.climb_lookup(climb, segments)),
        ValPath::Dynamic(parts) => {
            let mut segments: Vec<Arc<str>> = Vec::with_capacity(parts.len());
            for p in parts {
                match read(&p.eval(cx))? {
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
        Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::In | Op::Distance
    );
    if op.numeric(args.len()) {
        return owned(Val::Num(arithmetic(op, args, cx)?));
    }
    if let ([a, b], true) = (args, binary) {
        let (sx, sy);
        let x = operand!(a, cx, sx);
        let y = operand!(b, cx, sy);
        let v = match op {
            Op::In => Val::Bool(contains(y, x)),
            Op::Distance => Val::Num(distance(x, y)),
            _ => Val::Bool(relation(op, x, y)?),
        };
        return owned(v);
    }
    nary(op, args, cx)
}

/// `+`, `-`, `*`, `/` and `%` (those [`Op::numeric`] names), their operands read as numbers
/// without building values where they are numbers themselves.
fn arithmetic<'a>(op: Op, args: &'a [Expr], cx: &Frame<'a>) -> Result<f64, Thrown> {
    let n = match (op, args) {
        (Op::Add, [a, b]) => 0.0 + a.number(cx, parse_float)? + b.number(cx, parse_float)?,
        (Op::Add, _) => {
            let mut sum = 0.0;
            for e in args {
                sum += e.number(cx, parse_float)?;
            }
            sum
        }
        (Op::Mul, [a, b]) => a.number(cx, parse_float)? * b.number(cx, parse_float)?,
        (Op::Mul, _) => {
            // Array.reduce without an initial value (one argument is not `numeric`).
            let mut product = args[0].number(cx, parse_float)?;
            for e in &args[1..] {
                product *= e.number(cx, parse_float)?;
            }
            product
        }
        (Op::Sub, [a]) => -a.number(cx, Val::to_number)?,
        (Op::Sub, [a, b]) => a.number(cx, Val::to_number)? - b.number(cx, Val::to_number)?,
        (Op::Div, [a, b]) => {
            let x = a.number(cx, Val::to_number)?;
            let d = b.number(cx, Val::to_number)?;
            if d == 0.0 {
                return Err(nan());
            }
            x / d
        }
        (Op::Mod, [a, b]) => a.number(cx, Val::to_number)? % b.number(cx, Val::to_number)?,
        // Arities are checked when compiling.
        _ => f64::NAN,
    };
    if n.is_nan() {
        Err(nan())
    } else {
        Ok(n)
    }
}

/// An operator's truthiness: comparisons, `!` and `!!` answered as booleans.
fn test<'a>(op: Op, args: &'a [Expr], cx: &Frame<'a>) -> Result<bool, Thrown> {
    match (op, args) {
        (Op::Not, [a]) => Ok(!a.truthy(cx)?),
        (Op::NotNot, [a]) => Ok(a.truthy(cx)?),
        // A number is truthy unless 0 (arithmetic raises rather than answer NaN).
        _ if op.numeric(args.len()) => Ok(arithmetic(op, args, cx)? != 0.0),
        (Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge, [a, b]) => {
            let (sx, sy);
            relation(op, operand!(a, cx, sx), operand!(b, cx, sy))
        }
        _ => Ok(call(op, args, cx)?.truthy()),
    }
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
                let n = read(&e.eval(cx))?.to_number();
                if n.is_nan() {
                    return Err(nan());
                }
                if best.is_nan() || (op == Op::Max && n > best) || (op == Op::Min && n < best) {
                    best = n;
                }
            }
            Val::Num(best)
        }
        // `*` of one argument: Array.reduce without an initial value gives it back unconverted.
        Op::Mul => return arg(0),
        Op::Cat => {
            let mut text = String::new();
            for e in args {
                match read(&e.eval(cx))? {
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
        // Answered by `call`: arithmetic, and these two of exactly two arguments (checked when
        // compiling).
        Op::Add | Op::Sub | Op::Div | Op::Mod | Op::In | Op::Distance => Val::Null,
    };
    owned(v)
}

/// Whether `key`'s `var` is null or "" (or missing).
fn is_missing(key: &Val, data: &dyn Scope) -> bool {
    let found = match key {
        Val::Str(s) => data.lookup_dotted(s),
        other => data.lookup_dotted(&other.to_js_string()),
    };
    blank(found.as_deref())
}

/// What `missing` counts as missing: nothing, `null` or `""`.
fn blank(v: Option<&Val>) -> bool {
    match v {
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
