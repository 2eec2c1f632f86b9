//! Where `var` and `val` find data, and the frames that iterating operators and `try` open.

use super::value::Val;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Data a rule reads. Plain JSON data is a [`Val`]; a game session provides its own view.
///
/// Lookups answer borrowed values where the data holds them, so evaluation copies nothing it
/// only reads.
pub trait Scope {
    /// The value at a path of segments, or `None` when something on the way is missing (a
    /// present `null` is `Some(Val::Null)`).
    fn lookup(&self, path: &[Arc<str>]) -> Option<Cow<'_, Val>>;
    /// The value at a path where the data holds it as it is, or that it is missing; data that
    /// computes the value answers [`Held::Computed`] and [`Scope::lookup`] gives it. Small enough
    /// to come back in registers, this is how the evaluator reads operands; data that computes
    /// its values need not provide it. It must agree with `lookup`: `Here(v)` where `lookup`
    /// gives `v`, `Missing` where it gives `None`.
    fn find(&self, _path: &[Arc<str>]) -> Held<'_> {
        Held::Computed
    }
    /// The whole data, as it is (`val` of `[]`; `var` reads falsy data as `{}` itself).
    fn whole(&self) -> Cow<'_, Val>;
    /// The value at a dotted path (`"a.b.0"`); `""` is the whole data.
    fn lookup_dotted(&self, path: &str) -> Option<Cow<'_, Val>> {
        if path.is_empty() {
            return Some(self.whole());
        }
        let segments: Vec<Arc<str>> = path.split('.').map(Arc::from).collect();
        self.lookup(&segments)
    }
}

/// What [`Scope::find`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Held<'v> {
    Here(&'v Val),
    Missing,
    Computed,
}

impl<'v> Held<'v> {
    /// The value a `var` reads (a missing one is `null`), or `None` when it must be computed.
    pub fn or_null(self) -> Option<&'v Val> {
        match self {
            Held::Here(v) => Some(v),
            Held::Missing => Some(&Val::Null),
            Held::Computed => None,
        }
    }
}

/// An array index as JavaScript reads a property name: canonical decimal digits only, so
/// `"01"` and `"+1"` are keys no array has.
fn array_index(segment: &str) -> Option<usize> {
    let canonical = !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment == "0" || !segment.starts_with('0'));
    canonical.then(|| segment.parse().ok()).flatten()
}

/// Walks `path` down from `v` through object keys and array indexes, as far as values are held
/// (a string's index is computed: [`Held::Computed`]).
pub(super) fn walk_held<'v>(v: &'v Val, path: &[Arc<str>]) -> Held<'v> {
    let mut here = v;
    for segment in path {
        let next = match here {
            Val::Obj(o) => o.get(&**segment),
            Val::Arr(a) => array_index(segment).and_then(|i| a.get(i)),
            Val::Str(_) => return Held::Computed,
            _ => None,
        };
        match next {
            Some(v) => here = v,
            None => return Held::Missing,
        }
    }
    Held::Here(here)
}

/// Walks `path` down from `v`: object keys, array indexes, and a final string index.
pub(super) fn walk<'v, 's>(v: &'v Val, mut path: impl Iterator<Item = &'s str>) -> Option<Cow<'v, Val>> {
    let mut here = v;
    while let Some(segment) = path.next() {
        here = match here {
            Val::Obj(o) => o.get(segment)?,
            Val::Arr(a) => a.get(array_index(segment)?)?,
            Val::Str(s) => {
                // Indexing a string gives a one-unit string, and nothing below it.
                let unit = s.encode_utf16().nth(array_index(segment)?)?;
                return path.next().is_none().then(|| Cow::Owned(Val::str(&String::from_utf16_lossy(&[unit]))));
            }
            _ => return None,
        };
    }
    Some(Cow::Borrowed(here))
}

impl Scope for Val {
    fn find(&self, path: &[Arc<str>]) -> Held<'_> {
        walk_held(self, path)
    }

    fn lookup(&self, path: &[Arc<str>]) -> Option<Cow<'_, Val>> {
        // Most paths are one key of an object.
        if let (Val::Obj(o), [key]) = (self, path) {
            return o.get(&**key).map(Cow::Borrowed);
        }
        walk(self, path.iter().map(|s| &**s))
    }

    fn whole(&self) -> Cow<'_, Val> {
        Cow::Borrowed(self)
    }

    fn lookup_dotted(&self, path: &str) -> Option<Cow<'_, Val>> {
        if path.is_empty() {
            return Some(Cow::Borrowed(self));
        }
        walk(self, path.split('.'))
    }
}

/// One of the two values a `reduce` body reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Current,
    Accumulator,
}

/// The data inside `reduce`: `{"current": ..., "accumulator": ...}`, without building the object.
pub(super) struct ReduceScope<'a> {
    pub current: &'a Val,
    pub accumulator: &'a Val,
}

impl<'a> ReduceScope<'a> {
    /// `current` or `accumulator`.
    pub fn slot(&self, slot: Slot) -> &'a Val {
        match slot {
            Slot::Current => self.current,
            Slot::Accumulator => self.accumulator,
        }
    }

    fn find<'s>(&self, mut path: impl Iterator<Item = &'s str>) -> Option<Cow<'_, Val>> {
        match path.next()? {
            "current" => walk(self.current, path),
            "accumulator" => walk(self.accumulator, path),
            _ => None,
        }
    }
}

impl Scope for ReduceScope<'_> {
    fn find(&self, path: &[Arc<str>]) -> Held<'_> {
        match path.first().map(|s| &**s) {
            Some("current") => walk_held(self.current, &path[1..]),
            Some("accumulator") => walk_held(self.accumulator, &path[1..]),
            Some(_) => Held::Missing,
            None => Held::Computed,
        }
    }

    fn lookup(&self, path: &[Arc<str>]) -> Option<Cow<'_, Val>> {
        self.find(path.iter().map(|s| &**s))
    }

    fn whole(&self) -> Cow<'_, Val> {
        let map = [(Arc::from("current"), self.current.clone()), (Arc::from("accumulator"), self.accumulator.clone())];
        Cow::Owned(Val::Obj(Arc::new(map.into_iter().collect())))
    }

    fn lookup_dotted(&self, path: &str) -> Option<Cow<'_, Val>> {
        if path.is_empty() {
            return Some(self.whole());
        }
        self.find(path.split('.'))
    }
}

/// One level of data during evaluation. The rule starts in the root frame; `map`, `filter`,
/// `all`, `some`, `none` and `reduce` open a frame per element (its data is the element, and
/// `{"index": i}` is what `val` finds one step up), and each fallback of `try` opens one whose
/// data is the caught error (nothing one step up). `{"val": [[-n], ...]}` climbs `n` steps:
/// odd steps land on a frame's iteration, even steps on the data of the frame around it.
pub(super) struct Frame<'a> {
    pub data: &'a dyn Scope,
    pub index: Option<u32>,
    pub up: Option<&'a Frame<'a>>,
    /// In a `reduce` body, its data as it is, for the paths the compiler resolved to it
    /// (`Expr::Reduced`).
    pub reduce: Option<&'a ReduceScope<'a>>,
}

impl<'a> Frame<'a> {
    pub fn root(data: &'a dyn Scope) -> Frame<'a> {
        Frame { data, index: None, up: None, reduce: None }
    }

    /// The frame of one element of an iteration.
    pub fn element(&'a self, data: &'a dyn Scope, index: usize) -> Frame<'a> {
        Frame { data, index: Some(index as u32), up: Some(self), reduce: None }
    }

    /// Looks `path` up `n` steps up (the compiler has checked that there are that many).
    pub fn climb_lookup(&self, n: u32, path: &[Arc<str>]) -> Option<Cow<'a, Val>> {
        let mut frame = self;
        for _ in 0..n / 2 {
            frame = frame.up?;
        }
        if n % 2 == 0 {
            return if path.is_empty() { Some(frame.data.whole()) } else { frame.data.lookup(path) };
        }
        let iteration = match frame.index {
            Some(i) => Val::Obj(Arc::new(BTreeMap::from([(Arc::from("index"), Val::Num(f64::from(i)))]))),
            None => Val::Null,
        };
        walk(&iteration, path.iter().map(|s| &**s)).map(|v| Cow::Owned(v.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find` agrees with `lookup` on plain data and inside `reduce`, wherever it answers.
    #[test]
    fn find_agrees_with_lookup() {
        let data = Val::from_json(&serde_json::json!({
            "a": {"b": 1, "c": null}, "arr": [{"k": "v"}, [2, 3]], "s": "héllo", "n": 4, "e": {}
        }));
        let reduce = ReduceScope { current: &data, accumulator: &Val::Num(7.0) };
        let paths = [
            "",
            "a",
            "a.b",
            "a.c",
            "a.d",
            "a.b.c",
            "arr",
            "arr.0.k",
            "arr.1.1",
            "arr.01",
            "arr.+1",
            "arr.2",
            "s",
            "s.1",
            "s.9",
            "s.1.x",
            "n",
            "n.0",
            "e",
            "e.x",
            "missing",
            "current",
            "current.a.b",
            "current.s.0",
            "accumulator",
            "accumulator.x",
            "other",
        ];
        let scopes: [&dyn Scope; 2] = [&data, &reduce];
        for scope in scopes {
            for path in paths {
                let segments: Vec<Arc<str>> =
                    if path.is_empty() { vec![] } else { path.split('.').map(Arc::from).collect() };
                let looked = scope.lookup(&segments);
                match scope.find(&segments) {
                    Held::Here(v) => assert_eq!(looked.as_deref(), Some(v), "{path}"),
                    Held::Missing => assert_eq!(looked, None, "{path}"),
                    Held::Computed => {}
                }
            }
        }
    }
}
