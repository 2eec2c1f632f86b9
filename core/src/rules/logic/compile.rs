//! From JSON to the expression tree: operators resolved, arities and scope climbs checked, paths
//! split, and every subtree that reads no data computed once (constant folding).

use super::eval::{segment, Expr, Iterate, Keys, Op, ValPath, VarPath};
use super::scope::{Frame, Slot};
use super::value::Val;
use super::LogicError;
use crate::limits::{MAX_DEPTH, MAX_NODES, MAX_PATH_SEGMENTS};
use serde_json::Value;
use std::sync::Arc;

/// Folding an iteration over a literal array evaluates its body once per element when compiling;
/// beyond this many element-times-body-nodes it is left for evaluation time.
const FOLD_BUDGET: usize = 100_000;

/// A compiled subtree and the outermost frame it reads (`NOTHING` when it reads no data), which
/// decides whether it can be folded: a subtree at frame level `f` that reads nothing at levels
/// `<= f` is a constant there.
struct Compiled {
    expr: Expr,
    reads: u32,
}

const NOTHING: u32 = u32::MAX;

pub(super) struct Compiler {
    nodes: usize,
    /// The frame of the innermost `reduce` body being compiled: `var`s of `current` and
    /// `accumulator` in that frame read its two values directly.
    reduce_body: Option<u32>,
}

fn err(path: &str, reason: impl Into<String>) -> LogicError {
    LogicError { path: if path.is_empty() { "$".into() } else { path.to_owned() }, reason: reason.into() }
}

/// Computes a subtree that reads no data at or above its own frame, once.
fn fold(c: Compiled, frame: u32) -> Compiled {
    if c.reads <= frame || matches!(c.expr, Expr::Lit(_) | Expr::Fail(_)) {
        return c;
    }
    let nothing = Val::Null;
    let expr = match c.expr.eval(&Frame::root(&nothing)) {
        Ok(v) => Expr::Lit(v.into_owned()),
        Err(e) => Expr::Fail(e.0),
    };
    Compiled { expr, reads: NOTHING }
}

fn reads_of(parts: &[Compiled]) -> u32 {
    parts.iter().map(|c| c.reads).min().unwrap_or(NOTHING)
}

fn exprs(parts: Vec<Compiled>) -> Vec<Expr> {
    parts.into_iter().map(|c| c.expr).collect()
}

impl Compiler {
    pub fn new() -> Compiler {
        Compiler { nodes: 0, reduce_body: None }
    }

    pub fn compile_rule(&mut self, v: &Value) -> Result<Expr, LogicError> {
        self.compile(v, "", 0, 0).map(|c| c.expr)
    }

    fn count(&mut self, path: &str, depth: usize) -> Result<(), LogicError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(err(path, format!("rule has more than {MAX_NODES} nodes")));
        }
        if depth > MAX_DEPTH {
            return Err(err(path, format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// A literal, counted and depth-checked like the rest of the rule (`preserve`'s argument and
    /// objects that are not operators), built in the same walk.
    fn literal(&mut self, v: &Value, path: &str, depth: usize) -> Result<Val, LogicError> {
        self.count(path, depth)?;
        Ok(match v {
            Value::Array(items) => Val::Arr(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.literal(x, &format!("{path}[{i}]"), depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Val::Obj(Arc::new(
                map.iter()
                    .map(|(k, x)| Ok((Arc::from(k.as_str()), self.literal(x, &format!("{path}.{k}"), depth + 1)?)))
                    .collect::<Result<_, _>>()?,
            )),
            scalar => Val::from_json(scalar),
        })
    }

    /// Compiles `v` found at `path`, `depth` levels of JSON down, inside `frame` frames.
    fn compile(&mut self, v: &Value, path: &str, depth: usize, frame: u32) -> Result<Compiled, LogicError> {
        match v {
            Value::Array(items) => {
                self.count(path, depth)?;
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.compile(x, &format!("{path}[{i}]"), depth + 1, frame))
                    .collect::<Result<Vec<_>, _>>()?;
                let reads = reads_of(&parts);
                Ok(fold(Compiled { expr: Expr::Array(exprs(parts)), reads }, frame))
            }
            Value::Object(map) if map.len() == 1 => {
                self.count(path, depth)?;
                let (op, args) = map.iter().next().expect("one entry");
                let here = if path.is_empty() { op.clone() } else { format!("{path}.{op}") };
                let c = self.operator(op, args, &here, depth + 1, frame)?;
                Ok(fold(c, frame))
            }
            other => Ok(Compiled { expr: Expr::Lit(self.literal(other, path, depth)?), reads: NOTHING }),
        }
    }

    fn operator(
        &mut self,
        op: &str,
        args: &Value,
        path: &str,
        depth: usize,
        frame: u32,
    ) -> Result<Compiled, LogicError> {
        if op == "preserve" {
            return Ok(Compiled { expr: Expr::Lit(self.literal(args, path, depth)?), reads: NOTHING });
        }
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
                Err(err(path, format!("\"{op}\" takes {want} arguments, got {n}")))
            } else {
                Ok(())
            }
        };
        type Parts = Result<Vec<Compiled>, LogicError>;
        // Compiles arguments `from..`, those from `inner` on inside one more frame.
        let args_from = |this: &mut Self, from: usize, inner: usize| -> Parts {
            list.iter()
                .enumerate()
                .skip(from)
                .map(|(i, a)| {
                    let f = if i >= inner { frame + 1 } else { frame };
                    this.compile(a, &format!("{path}[{i}]"), depth + 1, f)
                })
                .collect()
        };
        const ANY: usize = usize::MAX;
        let all = |this: &mut Self| args_from(this, 0, ANY);
        let call = |this: &mut Self, op: Op, lo: usize, hi: usize| {
            arity(lo, hi)?;
            let parts = all(this)?;
            let reads = if op.reads_data() { frame } else { reads_of(&parts) };
            Ok(Compiled { expr: Expr::Call(op, exprs(parts)), reads })
        };
        let plain = |this: &mut Self, make: fn(Vec<Expr>) -> Expr| -> Result<Compiled, LogicError> {
            let parts = all(this)?;
            let reads = reads_of(&parts);
            Ok(Compiled { expr: make(exprs(parts)), reads })
        };
        match op {
            "var" => {
                arity(0, 2)?;
                let mut a = all(self)?.into_iter();
                let (p, mut reads) = match a.next() {
                    None => (VarPath::Whole, frame),
                    Some(Compiled { expr: Expr::Lit(Val::Null), .. }) => (VarPath::Whole, frame),
                    Some(Compiled { expr: Expr::Lit(Val::Arr(x)), .. }) if x.is_empty() => (VarPath::Whole, frame),
                    Some(Compiled { expr: Expr::Lit(v), .. }) => {
                        let text = v.to_js_string();
                        if text.is_empty() {
                            (VarPath::Whole, frame)
                        } else {
                            let segments: Box<[Arc<str>]> = text.split('.').map(Arc::from).collect();
                            if segments.len() > MAX_PATH_SEGMENTS {
                                return Err(too_long(path, segments.len()));
                            }
                            (VarPath::Static(segments), frame)
                        }
                    }
                    Some(c) => (VarPath::Dynamic(Box::new(c.expr)), frame.min(c.reads)),
                };
                let default = a.next().map(|c| {
                    reads = reads.min(c.reads);
                    Box::new(c.expr)
                });
                if let (VarPath::Static(segments), None, true) = (&p, &default, self.reduce_body == Some(frame)) {
                    let slot = match &*segments[0] {
                        "current" => Some(Slot::Current),
                        "accumulator" => Some(Slot::Accumulator),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        return Ok(Compiled { expr: Expr::Reduced(slot, segments[1..].into()), reads });
                    }
                }
                Ok(Compiled { expr: Expr::Var(p, default), reads })
            }
            "val" | "exists" => {
                let (climb, rest) = match list.first() {
                    Some(Value::Array(c)) if c.len() == 1 => {
                        let steps = c[0].as_f64().filter(|s| s.fract() == 0.0).map(f64::abs);
                        match steps {
                            Some(s) if s <= f64::from(2 * frame) => (s as u32, &list[1..]),
                            Some(s) => {
                                return Err(err(
                                    &format!("{path}[0]"),
                                    format!("climbs {s} scopes, but only {} enclose it", 2 * frame),
                                ))
                            }
                            None => return Err(err(&format!("{path}[0]"), "a scope climb is [n], n a whole number")),
                        }
                    }
                    _ if matches!(args, Value::Null) => (0, &list[..0]),
                    _ => (0, &list[..]),
                };
                if rest.len() > MAX_PATH_SEGMENTS {
                    return Err(too_long(path, rest.len()));
                }
                let first = list.len() - rest.len();
                let parts = args_from(self, first, ANY)?;
                let reads = reads_of(&parts).min(frame - climb / 2);
                let literal = |c: &Compiled| if let Expr::Lit(v) = &c.expr { Some(segment(v)) } else { None };
                let path = match parts.iter().map(literal).collect::<Option<_>>() {
                    Some(segments) => ValPath::Static(segments),
                    None => ValPath::Dynamic(exprs(parts)),
                };
                let expr = if op == "val" { Expr::Val(climb, path) } else { Expr::Exists(climb, path) };
                Ok(Compiled { expr, reads })
            }
            "if" | "?:" => plain(self, Expr::If),
            "and" => plain(self, Expr::And),
            "or" => plain(self, Expr::Or),
            "??" => plain(self, Expr::Coalesce),
            "try" => {
                arity(1, ANY)?;
                let parts = args_from(self, 0, 1)?;
                let reads = reads_of(&parts);
                Ok(Compiled { expr: Expr::Try(exprs(parts)), reads })
            }
            "throw" => {
                arity(1, 1)?;
                let c = all(self)?.pop().expect("one argument");
                Ok(Compiled { expr: Expr::Throw(Box::new(c.expr)), reads: c.reads })
            }
            "map" | "filter" | "all" | "some" | "none" | "reduce" => {
                if op == "reduce" {
                    arity(2, 3)?;
                } else {
                    arity(2, 2)?;
                }
                let before = self.nodes;
                let arg =
                    |this: &mut Self, i: usize, f: u32| this.compile(list[i], &format!("{path}[{i}]"), depth + 1, f);
                let over = arg(self, 0, frame)?;
                let outer = std::mem::replace(&mut self.reduce_body, (op == "reduce").then_some(frame + 1));
                let logic = arg(self, 1, frame + 1);
                self.reduce_body = outer;
                let logic = logic?;
                let initial = if n == 3 { Some(arg(self, 2, frame)?) } else { None };
                let reads = over.reads.min(logic.reads).min(initial.as_ref().map_or(NOTHING, |c| c.reads));
                // Folding runs the body once per element: only when that stays cheap.
                let cost = match &over.expr {
                    Expr::Lit(Val::Arr(items)) => items.len().saturating_mul(self.nodes - before),
                    _ => 0,
                };
                let reads = if cost > FOLD_BUDGET { reads.min(frame) } else { reads };
                let (over, logic) = (Box::new(over.expr), Box::new(logic.expr));
                let expr = match op {
                    "reduce" => Expr::Reduce(over, logic, initial.map(|c| Box::new(c.expr))),
                    "map" => Expr::Iterate(Iterate::Map, over, logic),
                    "filter" => Expr::Iterate(Iterate::Filter, over, logic),
                    "all" => Expr::Iterate(Iterate::All, over, logic),
                    "some" => Expr::Iterate(Iterate::Some, over, logic),
                    _ => Expr::Iterate(Iterate::None, over, logic),
                };
                Ok(Compiled { expr, reads })
            }
            "==" => call(self, Op::Eq, 2, 2),
            "===" => call(self, Op::StrictEq, 2, 2),
            "!=" => call(self, Op::Ne, 2, 2),
            "!==" => call(self, Op::StrictNe, 2, 2),
            "!" => call(self, Op::Not, 1, 1),
            "!!" => call(self, Op::NotNot, 1, 1),
            "<" => call(self, Op::Lt, 2, 3),
            "<=" => call(self, Op::Le, 2, 3),
            ">" => call(self, Op::Gt, 2, 2),
            ">=" => call(self, Op::Ge, 2, 2),
            "max" => call(self, Op::Max, 0, ANY),
            "min" => call(self, Op::Min, 0, ANY),
            "+" => call(self, Op::Add, 0, ANY),
            "-" => call(self, Op::Sub, 1, 2),
            "*" => call(self, Op::Mul, 1, ANY),
            "/" => call(self, Op::Div, 2, 2),
            "%" => call(self, Op::Mod, 2, 2),
            "in" => call(self, Op::In, 2, 2),
            "cat" => call(self, Op::Cat, 0, ANY),
            "substr" => call(self, Op::Substr, 2, 3),
            "merge" => call(self, Op::Merge, 0, ANY),
            "missing" | "missing_some" => {
                let c =
                    if op == "missing" { call(self, Op::Missing, 0, ANY)? } else { call(self, Op::MissingSome, 2, 2)? };
                Ok(Compiled { expr: written_keys(c.expr), reads: c.reads })
            }
            "log" => call(self, Op::Log, 1, 1),
            "distance" => call(self, Op::Distance, 2, 2),
            "near" => call(self, Op::Near, 3, 3),
            "has_item" => call(self, Op::HasItem, 1, 1),
            "item_count" => call(self, Op::ItemCount, 1, 1),
            _ => Err(err(path, format!("unknown operator \"{op}\""))),
        }
    }
}

/// `missing` and `missing_some` whose keys the rule writes out, as [`Keys`]; other calls as
/// they are.
fn written_keys(e: Expr) -> Expr {
    let literal = |e: &Expr| if let Expr::Lit(v) = e { Some(v.clone()) } else { None };
    let keys = match &e {
        Expr::Call(Op::Missing, args) => match args.iter().map(literal).collect::<Option<Vec<_>>>() {
            Some(values) => match values.first() {
                Some(Val::Arr(keys)) => Keys::new(keys, None),
                _ => Keys::new(&values, None),
            },
            None => return e,
        },
        Expr::Call(Op::MissingSome, args) => match (literal(&args[0]), literal(&args[1])) {
            (Some(need), Some(Val::Arr(keys))) => Keys::new(&keys, Some(need.to_number())),
            (Some(need), Some(key)) => Keys::new(&[key], Some(need.to_number())),
            _ => return e,
        },
        _ => return e,
    };
    Expr::Missing(Box::new(keys))
}

fn too_long(path: &str, n: usize) -> LogicError {
    err(path, format!("path has {n} segments, more than {MAX_PATH_SEGMENTS}"))
}
