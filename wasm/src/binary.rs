//! JsonLogic's rules, data and answers across the boundary as binary JSON: `encode.js` writes a JS
//! value straight into wasm memory (no JSON text to build, copy and tokenise), either called from
//! here or, on the hot path, by the package's module before it calls into wasm (`with_inputs`);
//! [`Encoded`] is data whose lookups walk the bytes, so only the values a rule reads become engine
//! values; answers go back in the same format and JS builds them in one call. On the JsonLogic
//! suite this is what makes `Logic.apply` faster than json-logic-js (BENCHMARKS.md).

use crate::convert::{error, JsResult};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use xmarks::rules::logic::{Scope, Val};

#[wasm_bindgen(module = "/src/encode.js")]
extern "C" {
    #[wasm_bindgen(js_name = encodeJson)]
    fn encode_json(memory: &JsValue, value: &JsValue, ptr: u32, cap: u32) -> i32;
    #[wasm_bindgen(js_name = decodeJson)]
    fn decode_json(memory: &JsValue, ptr: u32) -> JsValue;
}

/// Nesting `encode.js` accepts: deeper data (a cycle, in practice) is refused. Rules are limited
/// further by the compiler (64 levels), with its own error.
const MAX_DEPTH: u32 = 1000;

thread_local! {
    static MEMORY: JsValue = wasm_bindgen::memory();
    static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; 4096]);
    /// Written by the package's JS entry, and grown only at its request (it keeps the address).
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static ANSWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// An engine value as a JS value, the way JSON would carry it (non-finite numbers null, -0 as 0),
/// built by `encode.js` in one call.
pub fn to_js(v: &Val) -> JsValue {
    ANSWER.with(|answer| {
        let mut answer = answer.borrow_mut();
        answer.clear();
        encode(v, &mut answer);
        MEMORY.with(|m| decode_json(m, answer.as_ptr() as u32))
    })
}

/// An engine value written in `encode.js`'s format into the answer buffer, for the package's JS
/// entry to read after the call returns (`decodeJson`): no call back into JS, no JS value held.
/// The address is valid until the next answer.
pub fn to_answer(v: &Val) -> u32 {
    ANSWER.with(|answer| {
        let mut answer = answer.borrow_mut();
        answer.clear();
        encode(v, &mut answer);
        answer.as_ptr() as u32
    })
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends `v` in `encode.js`'s format.
fn encode(v: &Val, out: &mut Vec<u8>) {
    match v {
        Val::Null => out.push(0),
        Val::Bool(b) => out.push(1 + u8::from(*b)),
        Val::Num(n) if n.is_finite() => {
            out.push(3);
            out.extend_from_slice(&(if *n == 0.0 { 0.0 } else { *n }).to_le_bytes());
        }
        Val::Num(_) => out.push(0),
        Val::Str(s) => {
            out.push(4);
            encode_str(s, out);
        }
        Val::Arr(items) => container(5, items.len(), out, |out| items.iter().for_each(|x| encode(x, out))),
        Val::Obj(map) => container(6, map.len(), out, |out| {
            for (k, x) in map.iter() {
                encode_str(k, out);
                encode(x, out);
            }
        }),
    }
}

/// An array or object: its tag, count and the byte length of what `body` appends.
fn container(tag: u8, count: usize, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let head = out.len();
    out.push(tag);
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    body(out);
    let len = (out.len() - head - 9) as u32;
    out[head + 5..head + 9].copy_from_slice(&len.to_le_bytes());
}

/// For the package's JS entry (`wasm/npm/xmarks.js`): the address of the input buffer, grown to hold
/// at least `len` bytes (it may move when it grows). The entry encodes data there itself and
/// calls `Logic.__applyEncoded`, so that a call crosses into wasm once, with numbers only.
#[wasm_bindgen(js_name = __inputBuffer, skip_typescript)]
pub fn input_buffer(len: u32) -> u32 {
    INPUT.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        if buffer.len() < len as usize {
            buffer.resize(len as usize, 0);
        }
        buffer.as_mut_ptr() as u32
    })
}

/// For the package's JS entry: the module's memory.
#[wasm_bindgen(js_name = __memory, skip_typescript)]
pub fn memory() -> JsValue {
    MEMORY.with(Clone::clone)
}

/// Hands `read` the two values the package's JS entry encoded one after the other at the start
/// of the input buffer, `first` and `second` bytes long (0 bytes: null).
pub fn with_inputs<R>(first: u32, second: u32, read: impl FnOnce(Encoded, Encoded) -> R) -> R {
    INPUT.with(|buffer| {
        let buffer = buffer.borrow();
        let (a, rest) = buffer.split_at((first as usize).min(buffer.len()));
        let b = rest.get(..second as usize).unwrap_or_default();
        let null: &[u8] = &[0];
        read(Encoded(if a.is_empty() { null } else { a }), Encoded(if b.is_empty() { null } else { b }))
    })
}

/// Encodes `value` (named `what` in errors) and hands the encoding to `read`. `read` must not
/// encode again (the buffer is lent to it).
pub fn with_encoded<R>(value: &JsValue, what: &str, read: impl FnOnce(Encoded) -> JsResult<R>) -> JsResult<R> {
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        loop {
            let n = MEMORY.with(|m| encode_json(m, value, buffer.as_mut_ptr() as u32, buffer.len() as u32));
            match usize::try_from(n) {
                Ok(n) => return read(Encoded(&buffer[..n])),
                // Too big for the buffer: grow it (it stays grown) and encode again.
                Err(_) if n == -2 => {
                    let size = buffer.len() * 2;
                    buffer.resize(size, 0);
                }
                Err(_) => {
                    let reason = if n == -3 {
                        format!("{what}: reading it threw (a getter or a toJSON)")
                    } else {
                        format!("{what}: not JSON-compatible (undefined, a function, a BigInt, a cycle, or nested deeper than {MAX_DEPTH})")
                    };
                    return Err(error("input_invalid", &reason, Some(what)));
                }
            }
        }
    })
}

/// One encoded value (the bytes start at its tag).
#[derive(Clone, Copy)]
pub struct Encoded<'b>(&'b [u8]);

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

impl<'b> Encoded<'b> {
    /// The encoding itself (a rule's is its key in `applyLogic`'s cache).
    pub fn bytes(self) -> &'b [u8] {
        self.0
    }

    /// The length of the value at the start of `b`.
    fn len(b: &[u8]) -> Option<usize> {
        Some(match *b.first()? {
            0..=2 => 1,
            3 => 9,
            4 => 5 + u32_at(b, 1)?,
            5 | 6 => 9 + u32_at(b, 5)?,
            _ => return None,
        })
    }

    /// The string at the start of `b` (a key or a string value's body) and what follows it.
    fn str_at(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let n = u32_at(b, 0)?;
        Some((b.get(4..4 + n)?, b.get(4 + n..)?))
    }

    /// The entry or element `segment` names, as JavaScript would index the value.
    fn child(self, segment: &str) -> Option<Encoded<'b>> {
        let b = self.0;
        let tag = *b.first()?;
        if tag != 5 && tag != 6 {
            return None;
        }
        let (count, mut rest) = (u32_at(b, 1)?, b.get(9..9 + u32_at(b, 5)?)?);
        if tag == 6 {
            for _ in 0..count {
                let (key, after) = Encoded::str_at(rest)?;
                let n = Encoded::len(after)?;
                if key == segment.as_bytes() {
                    return Some(Encoded(after.get(..n)?));
                }
                rest = after.get(n..)?;
            }
            return None;
        }
        let index = array_index(segment).filter(|&i| i < count)?;
        for _ in 0..index {
            rest = rest.get(Encoded::len(rest)?..)?;
        }
        Some(Encoded(rest.get(..Encoded::len(rest)?)?))
    }

    /// Follows `path`; a string met on the way is indexed like the engine's values are.
    fn walk<'s>(self, mut path: impl Iterator<Item = &'s str>) -> Option<Cow<'b, Val>> {
        let mut here = self;
        while let Some(segment) = path.next() {
            if here.0.first() == Some(&4) {
                let rest: Vec<Arc<str>> = std::iter::once(segment).chain(path).map(Arc::from).collect();
                return here.decode()?.lookup(&rest).map(|v| Cow::Owned(v.into_owned()));
            }
            here = here.child(segment)?;
        }
        here.decode().map(Cow::Owned)
    }

    /// The whole value as an engine value, or `None` when the bytes are not `encode.js`'s.
    pub fn decode(self) -> Option<Val> {
        let mut r = Reader { bytes: self.0, at: 0 };
        let v = r.value(0)?;
        (r.at == self.0.len()).then_some(v)
    }
}

/// An array index as JavaScript reads a property name (as the engine's own lookups do).
fn array_index(segment: &str) -> Option<usize> {
    let canonical = !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment == "0" || !segment.starts_with('0'));
    canonical.then(|| segment.parse().ok()).flatten()
}

impl Scope for Encoded<'_> {
    fn lookup(&self, path: &[Arc<str>]) -> Option<Cow<'_, Val>> {
        self.walk(path.iter().map(|s| &**s))
    }

    fn whole(&self) -> Cow<'_, Val> {
        Cow::Owned(self.decode().unwrap_or_default())
    }

    fn lookup_dotted(&self, path: &str) -> Option<Cow<'_, Val>> {
        if path.is_empty() {
            return Some(self.whole());
        }
        self.walk(path.split('.'))
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn str(&mut self) -> Option<Arc<str>> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).ok().map(Arc::from)
    }

    fn value(&mut self, depth: u32) -> Option<Val> {
        let tag = *self.take(1)?.first()?;
        Some(match tag {
            0 => Val::Null,
            1 => Val::Bool(false),
            2 => Val::Bool(true),
            3 => Val::Num(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            4 => Val::Str(self.str()?),
            5 if depth < MAX_DEPTH => {
                let (n, _) = (self.u32()?, self.u32()?);
                // Every item takes a byte at least: a count beyond the bytes left is not ours.
                let mut items = Vec::with_capacity(n.min(self.bytes.len() - self.at));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Val::Arr(items.into())
            }
            6 if depth < MAX_DEPTH => {
                let (n, _) = (self.u32()?, self.u32()?);
                let mut map = BTreeMap::new();
                for _ in 0..n {
                    let key = self.str()?;
                    map.insert(key, self.value(depth + 1)?);
                }
                Val::Obj(Arc::new(map))
            }
            _ => return None,
        })
    }
}
