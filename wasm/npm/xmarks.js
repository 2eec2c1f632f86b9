// The package's module: wasm-bindgen's bindings (bindings.js) as they are, except for JsonLogic's
// hot calls, `Logic.apply` and `applyLogic`, which write their rule and data into wasm memory here
// (encode.js) and then cross into wasm once, with two numbers: no JS value crosses, nothing is
// released after. Whatever this path cannot take (no JSON form, a getter that throws) goes to the
// bindings' own call, which refuses it with the usual error. The `__` exports serve this file only.
export * from "./bindings.js";
export { default } from "./bindings.js";
import { Logic as Bindings, applyLogic as bindingsApplyLogic, playerViewJson, __applyLogicEncoded, __inputBuffer, __memory } from "./bindings.js";
import { encodeJson } from "./encode.js";

let memory = null;
let ptr = 0;
let cap = 0;
let first = 0;
let second = 0;

// Encodes `a`, then `b` unless it is absent (length 0), into the input buffer, growing it as
// needed. False when one has no JSON form.
function encode(a, b) {
  if (memory === null) {
    memory = __memory();
    cap = 4096;
    ptr = __inputBuffer(cap);
  }
  for (;;) {
    first = encodeJson(memory, a, ptr, cap);
    second = first < 0 || b === undefined || b === null ? 0 : encodeJson(memory, b, ptr + first, cap - first);
    if (first !== -2 && second !== -2) return first >= 0 && second >= 0;
    cap *= 2;
    ptr = __inputBuffer(cap);
  }
}

export class Logic extends Bindings {
  apply(data) {
    if (data === undefined || data === null) return super.apply();
    return encode(data) ? this.__applyEncoded(first) : super.apply(data);
  }
}

export function applyLogic(rule, data) {
  return encode(rule, data) ? __applyLogicEncoded(first, second) : bindingsApplyLogic(rule, data);
}

/** What a hunt's player may see of it (see `playerViewJson`, which gives its canonical bytes). */
export function playerView(hunt, salt, found) {
  return JSON.parse(playerViewJson(hunt, salt, found));
}
