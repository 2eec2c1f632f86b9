// JSON data across the wasm boundary in one call each way: a JS value written as compact binary
// JSON straight into wasm memory, where `wasm/src/binary.rs` reads it, and the engine's answers
// read back from the same format. It sees a value as
// JSON.stringify does (toJSON, boxed primitives, non-finite numbers as null, undefined, functions
// and symbols left out of objects and null in arrays) without building the text.
//
// Format (little-endian): 0 null, 1 false, 2 true, 3 f64 number, 4 string (u32 byte length, UTF-8),
// 5 array (u32 count, u32 byte length of the items, items), 6 object (u32 count, u32 byte length of
// the entries, then key string and value per entry). The byte lengths let a reader skip a value.

const MAX_DEPTH = 1000;
const encoder = new TextEncoder();
// Views of wasm memory, made again when it grows (its buffer is then a new one).
let bytes = new Uint8Array(0);
let view = new DataView(bytes.buffer);
let at = 0;
let end = 0;
function views(memory) {
  // A grown memory detaches the old buffer, whose views then have no bytes.
  if (bytes.byteLength === 0) {
    bytes = new Uint8Array(memory.buffer);
    view = new DataView(memory.buffer);
  }
}

// Thrown when the encoding does not fit: the caller grows its buffer and asks again.
const FULL = {};

function room(n) {
  if (at + n > end) throw FULL;
}

function string(s) {
  const n = s.length;
  room(4 + n);
  const start = at + 4;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) break;
    bytes[start + i] = c;
  }
  let len = i;
  if (i < n) {
    // The rest as UTF-8: at most 3 bytes per UTF-16 unit.
    room(4 + i + (n - i) * 3);
    len += encoder.encodeInto(s.slice(i), bytes.subarray(start + i, end)).written;
  }
  view.setUint32(at, len, true);
  at = start + len;
}

// False when JSON cannot hold the value (a BigInt) or it nests too deep (or is a cycle). `shown`:
// `v` is what a toJSON answered, which JSON.stringify does not ask again.
function value(v, depth, shown) {
  switch (typeof v) {
    case "number":
      if (!Number.isFinite(v)) break;
      room(9);
      bytes[at] = 3;
      view.setFloat64(at + 1, v, true);
      at += 9;
      return true;
    case "string":
      room(1);
      bytes[at++] = 4;
      string(v);
      return true;
    case "boolean":
      room(1);
      bytes[at++] = v ? 2 : 1;
      return true;
    case "bigint":
      return false;
    case "object": {
      if (v === null) break;
      if (depth >= MAX_DEPTH) return false;
      const head = at;
      room(9);
      at += 9;
      let n = 0;
      if (Array.isArray(v)) {
        if (!shown && typeof v.toJSON === "function") return (at = head), value(v.toJSON(), depth, true);
        bytes[head] = 5;
        n = v.length;
        for (let i = 0; i < n; i++) {
          const x = v[i];
          if (x === undefined || typeof x === "function" || typeof x === "symbol") {
            room(1);
            bytes[at++] = 0;
          } else if (!value(x, depth + 1, false)) return false;
        }
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          // Dates and other classes with toJSON, and boxed primitives, as JSON.stringify sees them.
          if (!shown && typeof v.toJSON === "function") return (at = head), value(v.toJSON(), depth, true);
          if (v instanceof Number || v instanceof String || v instanceof Boolean) return (at = head), value(v.valueOf(), depth, true);
        }
        bytes[head] = 6;
        const keys = Object.keys(v);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          const x = v[k];
          if (x === undefined || typeof x === "symbol") continue;
          if (typeof x === "function") {
            // A plain object's own toJSON (its prototype has none: checked above).
            if (k === "toJSON" && !shown) return (at = head), value(v.toJSON(), depth, true);
            continue;
          }
          string(k);
          if (!value(x, depth + 1, false)) return false;
          n++;
        }
      }
      view.setUint32(head + 1, n, true);
      view.setUint32(head + 5, at - head - 9, true);
      return true;
    }
  }
  room(1);
  bytes[at++] = 0;
  return true;
}

/**
 * Writes `v` into `memory` at `ptr`, in at most `cap` bytes. Answers the length written, -1 when
 * JSON cannot hold the value (undefined, a function, a BigInt, a cycle or too deep), -2 when it does not fit in `cap` bytes, or -3 when reading it threw
 * (a getter or a toJSON): nothing thrown here may unwind through the engine.
 */
export function encodeJson(memory, v, ptr, cap) {
  views(memory);
  at = ptr;
  end = ptr + cap;
  // As JSON.stringify, nothing to write for these.
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return -1;
  try {
    return value(v, 0, false) ? at - ptr : -1;
  } catch (e) {
    return e === FULL ? -2 : -3;
  }
}

// Reading the engine's answers, in the same format: one call builds the whole JS value, where
// building it from wasm would take a call per element (and a TextDecoder per string).
const decoder = new TextDecoder();
let from = 0;

function readString() {
  const n = view.getUint32(from, true);
  const start = from + 4;
  from = start + n;
  if (n > 32) return decoder.decode(bytes.subarray(start, from));
  let s = "";
  for (let i = start; i < from; i++) {
    const c = bytes[i];
    if (c > 0x7f) return decoder.decode(bytes.subarray(start, from));
    s += String.fromCharCode(c);
  }
  return s;
}

function read() {
  const tag = bytes[from++];
  switch (tag) {
    case 1:
      return false;
    case 2:
      return true;
    case 3:
      from += 8;
      return view.getFloat64(from - 8, true);
    case 4:
      return readString();
    case 5: {
      const n = view.getUint32(from, true);
      from += 8;
      const items = new Array(n);
      for (let i = 0; i < n; i++) items[i] = read();
      return items;
    }
    case 6: {
      const n = view.getUint32(from, true);
      from += 8;
      const object = {};
      for (let i = 0; i < n; i++) {
        const key = readString();
        const x = read();
        // A key "__proto__" is data here, as JSON.parse makes it.
        if (key === "__proto__") Object.defineProperty(object, key, { value: x, enumerable: true, writable: true, configurable: true });
        else object[key] = x;
      }
      return object;
    }
  }
  return null;
}

/** The value encoded in `memory` at `ptr`. */
export function decodeJson(memory, ptr) {
  views(memory);
  from = ptr;
  return read();
}
