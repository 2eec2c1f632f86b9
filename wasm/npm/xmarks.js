// The package's module: wasm-bindgen's bindings (bindings.js) as they are, except for JsonLogic's
// hot calls, `Logic.apply` and `applyLogic`, which write their rule and data into wasm memory here
// (encode.js) and then cross into wasm once, with two numbers: no JS value crosses, nothing is
// released after. Whatever this path cannot take (no JSON form, a getter that throws) goes to the
// bindings' own call, which refuses it with the usual error. The `__` exports serve this file only.
// The handles (World, Rules, Session, Logic) are checked here too (see `checkHandles`).
export * from "./bindings.js";
export { default } from "./bindings.js";
import * as bindings from "./bindings.js";
import { Logic as Bindings, applyLogic as bindingsApplyLogic, playerViewJson, __applyLogicEncoded, __inputBuffer, __memory } from "./bindings.js";
import { encodeJson } from "./encode.js";

/** An error in the package's form (`XmarksError`), as the wasm side makes them. */
function xmarksError(code, message, path) {
  const e = new Error(message);
  e.name = "XmarksError";
  e.code = code;
  if (path !== undefined) e.path = path;
  return e;
}

function freed(name, path) {
  return xmarksError("freed", `${path === undefined ? "" : `${path}: `}this ${name} was freed (free() was called on it) and cannot be used`, path);
}

/** `value` as the handle `klass` an export takes at `path`: one of this instance's, not freed. */
function checkHandle(value, klass, path) {
  if (!(value instanceof klass)) {
    throw xmarksError("input_invalid", `${path}: expected a ${klass.name} made by this instance of the package`, path);
  }
  if (value.__wbg_ptr === 0) throw freed(klass.name, path);
}

/**
 * wasm-bindgen's glue answers a handle used after `free()` with "null pointer passed to rust" and
 * another instance's handle with "expected instance of World". Every method of a handle, and every
 * export that takes one, checks first and throws the package's errors instead (`freed`,
 * `input_invalid`); `free()` a second time does nothing.
 */
function checkHandles() {
  for (const klass of [bindings.World, bindings.Rules, bindings.Session, bindings.Logic]) {
    const proto = klass.prototype;
    const guard = (f) => function () {
      if (this.__wbg_ptr === 0) throw freed(klass.name);
      return f.apply(this, arguments);
    };
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (name === "constructor" || name.startsWith("__")) continue;
      const original = d.value;
      if (name === "free") d.value = function free() { if (this.__wbg_ptr !== 0) original.call(this); };
      else if (typeof original === "function") d.value = guard(original);
      else if (d.get) d.get = guard(d.get);
      else continue;
      Object.defineProperty(proto, name, d);
    }
    if (Symbol.dispose) proto[Symbol.dispose] = proto.free;
  }
  const restore = bindings.Session.restore;
  bindings.Session.restore = function (hunt, rules, snapshot) {
    checkHandle(rules, bindings.Rules, "rules");
    return restore.call(this, hunt, rules, snapshot);
  };
}
checkHandles();

/** `new Session(hunt, rules, startedMs)`, its rules checked; instances are the bindings' own. */
export const Session = new Proxy(bindings.Session, {
  construct(target, args, newTarget) {
    checkHandle(args[1], bindings.Rules, "rules");
    return Reflect.construct(target, args, newTarget);
  },
});

export function generateHunt(world, template, seeds, player) {
  checkHandle(world, bindings.World, "world");
  return bindings.generateHunt(world, template, seeds, player);
}

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
    if (this.__wbg_ptr === 0) throw freed("Logic");
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

/** Whether `e` is an error xmarks threw: every one is an `Error` named "XmarksError" with a `code`. */
export function isXmarksError(e) {
  return e instanceof Error && e.name === "XmarksError" && typeof e.code === "string";
}

/**
 * Times for a session's events: whole milliseconds from `startedMs` (the time the session was
 * opened with), advancing with a monotonic clock (`performance.now()` unless `source` is given)
 * and never going backwards, so that a player's real pace is what the speed check sees.
 */
export class GameClock {
  #source;
  #origin;
  #started;
  #last;

  constructor(startedMs = 0, source = () => performance.now()) {
    if (!Number.isSafeInteger(startedMs) || startedMs < 0) {
      throw xmarksError("input_invalid", "startedMs: expected a whole number of milliseconds, 0 or more", "startedMs");
    }
    this.#source = source;
    this.#origin = source();
    this.#started = startedMs;
    this.#last = startedMs;
  }

  /** The time now, for an event's `t`. */
  now() {
    const t = this.#started + Math.floor(this.#source() - this.#origin);
    if (t > this.#last) this.#last = t;
    return this.#last;
  }
}
