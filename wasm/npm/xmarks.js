// The package's module: wasm-bindgen's bindings (bindings.js) as they are, except for JsonLogic's
// hot calls, `Logic.apply` and `applyLogic`, which write their rule and data into wasm memory here
// (encode.js) and then cross into wasm once, with two numbers: no JS value crosses, nothing is
// released after. Whatever this path cannot take (no JSON form, a getter that throws) goes to the
// bindings' own call, which refuses it with the usual error. The `__` exports serve this file only.
// The handles (World, Rules, Session, Logic) are checked here too (see `checkHandles`), every
// call before the .wasm is loaded is refused in the package's words (see `init`), and hunts are
// `Hunt`s, which keep the engine's copy of the hunt beside its data (see `Hunt`).
export * from "./bindings.js";
import * as bindings from "./bindings.js";
import { Logic as Bindings, applyLogic as bindingsApplyLogic, __applyLogicEncoded, __inputBuffer, __memory } from "./bindings.js";
import { encodeJson, decodeJson } from "./encode.js";

/** An error in the package's form (`XmarksError`), as the wasm side makes them. */
function xmarksError(code, message, path) {
  const e = new Error(message);
  e.name = "XmarksError";
  e.code = code;
  if (path !== undefined) e.path = path;
  return e;
}

let ready = false;

/** The error for a call before `init()` has loaded the .wasm (the glue would throw a bare `TypeError`). */
function notReady() {
  return xmarksError(
    "not_initialized",
    "xmarks is not initialised: await init() (the package's default export) before the first call; under Node the package initialises itself at import",
  );
}

/** `f`, refused with `not_initialized` until the .wasm is loaded. */
function whenReady(f) {
  return function () {
    if (!ready) throw notReady();
    return f.apply(this, arguments);
  };
}

/** A .wasm that did not compile or link, as the package's `wasm_invalid`; other failures (a fetch) as they are. */
function loadError(e) {
  const invalid = typeof WebAssembly !== "undefined" && (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError);
  if (!invalid) return e;
  const error = xmarksError("wasm_invalid", `the .wasm could not be loaded (truncated, or not this package's): ${e.message}`);
  error.cause = e;
  return error;
}

/**
 * `module`, compiled, if its exports are this package's. A foreign .wasm that compiles would
 * otherwise leave wasm-bindgen's glue holding an instance without the package's functions.
 */
function ours(module) {
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!names.has("memory") || !names.has("world_procedural")) {
    throw xmarksError("wasm_invalid", "the .wasm could not be loaded (not this package's: its exports differ)");
  }
  return module;
}

const isBytes = (m) => m instanceof ArrayBuffer || ArrayBuffer.isView(m);
/** The argument `init` and `initSync` take, `{ key: value }` or the value alone (deprecated). */
const inner = (input, key) => (input !== null && typeof input === "object" && Object.getPrototypeOf(input) === Object.prototype ? input[key] : input);

/**
 * Loads the .wasm (beside the module, unless given); calls before it resolves are refused with
 * `not_initialized`. Calling it again once loaded does nothing; after a failure it may be retried.
 */
export default async function init(input) {
  if (ready) return bindings.default();
  try {
    let given = inner(input, "module_or_path");
    // Bytes and modules are checked before the glue sees them (compiled off the main thread).
    if (isBytes(given)) given = ours(await WebAssembly.compile(given));
    else if (given instanceof WebAssembly.Module) given = ours(given);
    const output = await bindings.default(given === undefined ? undefined : { module_or_path: given });
    ready = true;
    return output;
  } catch (e) {
    throw loadError(e);
  }
}

/** `init` for bytes or a compiled module already in hand. */
export function initSync(input) {
  if (ready) return bindings.initSync();
  try {
    const given = inner(input, "module");
    const module = ours(given instanceof WebAssembly.Module ? given : new WebAssembly.Module(given));
    const output = bindings.initSync({ module });
    ready = true;
    return output;
  } catch (e) {
    throw loadError(e);
  }
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
    // Static methods (World.procedural, Rules.default, ...): refused before init.
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(klass))) {
      if (name.startsWith("__") || typeof d.value !== "function") continue;
      d.value = whenReady(d.value);
      Object.defineProperty(klass, name, d);
    }
  }
  const restore = bindings.Session.restore;
  bindings.Session.restore = function (hunt, rules, snapshot, format) {
    checkHandle(rules, bindings.Rules, "rules");
    if (hunt instanceof Hunt) return bindings.Session.__restore(copyOf(hunt, "hunt"), rules, snapshot, format);
    return restore.call(this, hunt, rules, snapshot, format);
  };
}

const token = Symbol("Hunt");
let copyOf;

/** `value` and everything in it, frozen. */
function deepFreeze(value) {
  if (value !== null && typeof value === "object") {
    for (const key in value) deepFreeze(value[key]);
    Object.freeze(value);
  }
  return value;
}

/**
 * The engine copies of the most recent `Hunt`s, oldest first. Only these many are kept: a game
 * that makes hunts by the thousand without freeing them must not grow wasm memory (which never
 * shrinks) nor leave them all to the garbage collector, whose finalisers cost 25x in p99
 * latency when 20,000 hunts were left to it. A `Hunt` whose copy was let go reads its data
 * again when next used, and keeps the copy again.
 */
const KEPT = 64;
const kept = [];

function keep(handle) {
  kept.push(handle);
  if (kept.length > KEPT) kept.shift().free();
}

/**
 * A generated hunt: its data as own, frozen properties (what `JSON.stringify`, `structuredClone`
 * and spreading see, a plain hunt's fields), beside the engine's copy of it in wasm memory, read
 * and fingerprinted once. `new Session`, `Session.restore`, `walkthrough`, `canonicalHuntJson` and
 * `playerViewJson` take that copy as it is instead of reading the hunt's JSON again; any other
 * object with a hunt's fields is still read and checked. Frozen, so that the data cannot drift from
 * the copy. The copies of the last 64 hunts made are kept (see `KEPT`); `free()` lets one go now.
 */
export class Hunt {
  #handle;
  #freed = false;

  constructor(key, handle) {
    if (key !== token) {
      throw xmarksError("input_invalid", "a Hunt comes from generateHunt, Hunt.from or session.hunt(), not from new Hunt()");
    }
    this.#handle = handle;
    keep(handle);
    Object.assign(this, deepFreeze(handle.data()));
    Object.freeze(this);
  }

  /** A `Hunt` of a hunt given as an object or JSON text (from a server, a file), checked once. */
  static from(hunt) {
    if (!ready) throw notReady();
    return new Hunt(token, bindings.__HuntHandle.read(hunt instanceof Hunt ? canonicalHuntJson(hunt) : hunt));
  }

  /** Lets the engine's copy go now; the data stays readable, and the `Hunt` cannot be used. */
  free() {
    this.#freed = true;
    const at = kept.indexOf(this.#handle);
    if (at >= 0) kept.splice(at, 1);
    if (this.#handle.__wbg_ptr !== 0) this.#handle.free();
  }

  static {
    // The engine's copy of `hunt`, read again (from its own data) if it was let go.
    copyOf = (hunt, path) => {
      if (hunt.#freed) throw freed("Hunt", path);
      if (hunt.#handle.__wbg_ptr === 0) {
        hunt.#handle = bindings.__HuntHandle.read({ ...hunt });
        keep(hunt.#handle);
      }
      return hunt.#handle;
    };
    if (Symbol.dispose) Hunt.prototype[Symbol.dispose] = Hunt.prototype.free;
  }
}

const huntOf = (handle) => new Hunt(token, handle);

/** `f(hunt, ...)` with a `Hunt`'s engine copy as `method(copy, ...)`, plain hunts as they are. */
const onHunt = (f, method) =>
  whenReady(function (hunt, ...rest) {
    return hunt instanceof Hunt ? method(copyOf(hunt, "hunt"), ...rest) : f(hunt, ...rest);
  });

// A session's hunt is a `Hunt` (checked for `free()` with the other methods below).
const sessionHunt = bindings.Session.prototype.hunt;
bindings.Session.prototype.hunt = function hunt() {
  return huntOf(sessionHunt.call(this));
};
checkHandles();

/** `new Session(hunt, rules, startedMs)`, its rules checked; instances are the bindings' own. */
export const Session = new Proxy(bindings.Session, {
  construct(target, args, newTarget) {
    if (!ready) throw notReady();
    checkHandle(args[1], bindings.Rules, "rules");
    if (args[0] instanceof Hunt) return target.__open(copyOf(args[0], "hunt"), args[1], args[2], args[3]);
    return Reflect.construct(target, args, newTarget);
  },
});

export function generateHunt(world, template, seeds, player) {
  if (!ready) throw notReady();
  checkHandle(world, bindings.World, "world");
  return huntOf(bindings.generateHunt(world, template, seeds, player));
}

/** `generateHunt` for a team (a template with `max_team`): one hunt the members play together. */
export function generateTeamHunt(world, template, seeds, team) {
  if (!ready) throw notReady();
  checkHandle(world, bindings.World, "world");
  return huntOf(bindings.generateTeamHunt(world, template, seeds, team));
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
    if (!ready) throw notReady();
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
  constructor(rule) {
    if (!ready) throw notReady();
    super(rule);
  }

  apply(data) {
    if (this.__wbg_ptr === 0) throw freed("Logic");
    if (data === undefined) data = null;
    return encode(data) ? decodeJson(memory, this.__applyEncoded(first)) : super.apply(data);
  }
}

// Rules that cannot change, compiled once: a deep-frozen rule object is its own cache key (a frozen
// object stays frozen, so what was compiled stays what it says). Other rules are encoded at each
// call and found again by their encoding, in wasm. The WeakMap lets a rule (and its compiled form,
// freed by the bindings' finalizer) go with its object.
const frozenRules = new WeakMap();

/** Whether `v` is a plain object or array, frozen, holding only JSON values that are frozen too. */
function immutable(v, depth) {
  if (!Object.isFrozen(v) || depth > 64) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  const descriptors = Object.getOwnPropertyDescriptors(v);
  for (const key in descriptors) {
    if (key === "toJSON") return false;
    const d = descriptors[key];
    if (!("value" in d)) return false; // a getter may answer differently each time
    const x = d.value;
    const type = typeof x;
    if (type === "object" ? x !== null && !immutable(x, depth + 1) : type !== "string" && type !== "number" && type !== "boolean") return false;
  }
  return true;
}

export function applyLogic(rule, data) {
  if (typeof rule === "object" && rule !== null && Object.isFrozen(rule)) {
    let logic = frozenRules.get(rule);
    if (logic === undefined) {
      // Frozen, the verdict holds for good: remembered either way (null: not immutable).
      logic = immutable(rule, 0) ? new Logic(rule) : null;
      frozenRules.set(rule, logic);
    }
    if (logic) return logic.apply(data);
  }
  return encode(rule, data) ? decodeJson(memory, __applyLogicEncoded(first, second)) : bindingsApplyLogic(rule, data);
}

// The bindings' other functions, refused before init.
export const canonicalHuntJson = onHunt(bindings.canonicalHuntJson, (h) => h.canonicalJson());
export const checkRules = whenReady(bindings.checkRules);
export const parseTemplate = whenReady(bindings.parseTemplate);
export const playerViewJson = onHunt(bindings.playerViewJson, (h, salt, found) => h.playerViewJson(salt, found));
export const replay = whenReady(bindings.replay);
export const stageCommitment = whenReady(bindings.stageCommitment);
export const versions = whenReady(bindings.versions);
export const walkthrough = onHunt(bindings.walkthrough, (h, startedMs) => h.walkthrough(startedMs));
export const teamWalkthrough = onHunt(bindings.teamWalkthrough, (h, startedMs) => h.teamWalkthrough(startedMs));

/** What a hunt's player may see of it (see `playerViewJson`, which gives its canonical bytes). */
export function playerView(hunt, salt, found) {
  return JSON.parse(playerViewJson(hunt, salt, found));
}

/** An error the worker posted, as the package's `XmarksError` again (other errors as `Error`s). */
function posted({ name, code, message, path, problems, error }) {
  const e = code === undefined ? new Error(message) : xmarksError(code, message, path);
  if (code === undefined && name) e.name = name;
  if (problems !== undefined) e.problems = problems;
  if (error !== undefined) e.error = error;
  return e;
}

/**
 * Long calls off the page's thread: imports and replays run in a Web Worker that holds the worlds
 * it imported, so a game's frame loop never stalls. Every method returns a promise; progress comes
 * to the call's `onProgress` and as a `progress` event (`detail`: `{ op, phase, done, total }`).
 * The worker is the package's `worker.js`, started beside this module, unless `options.worker` is
 * one the page started itself; `options.module` hands it a compiled `WebAssembly.Module` instead
 * of fetching the .wasm again.
 */
export class XmarksWorker extends EventTarget {
  #worker;
  #calls = new Map();
  #next = 0;
  #failed = null;

  constructor(options = {}) {
    super();
    if (options.worker === undefined && typeof Worker === "undefined") {
      throw xmarksError("input_invalid", "XmarksWorker needs Web Workers (browsers, Deno), or a worker in options.worker", "options.worker");
    }
    this.#worker = options.worker ?? new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.#worker.onmessage = ({ data }) => {
      const call = this.#calls.get(data.id);
      if (call === undefined) return;
      if (data.progress !== undefined) {
        call.onProgress?.(data.progress);
        this.dispatchEvent(new CustomEvent("progress", { detail: { op: call.op, ...data.progress } }));
        return;
      }
      this.#calls.delete(data.id);
      if (data.error !== undefined) call.reject(posted(data.error));
      else call.resolve(data.value);
    };
    // A worker that fails to start or load (a script that is not there) fails every call.
    this.#worker.onerror = (event) => {
      event.preventDefault?.();
      this.#fail(xmarksError("worker_failed", `the worker failed: ${event.message ?? "it could not start"}`));
    };
    // A module that fails to load fails the calls after it, which report it.
    if (options.module !== undefined) this.#call("init", [options.module]).catch(() => {});
  }

  /** Fails the calls in flight, and every later one: a worker that failed or was terminated answers nothing. */
  #fail(error) {
    this.#failed ??= error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
  }

  #call(op, args, onProgress) {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      try {
        this.#worker.postMessage({ id, op, args });
      } catch (e) {
        // An argument the structured clone cannot copy (a function, a class instance's handle).
        reject(xmarksError("input_invalid", `${op}: an argument cannot be sent to a worker (${e.message})`));
        return;
      }
      this.#calls.set(id, { op, resolve, reject, onProgress });
    });
  }

  #world(made) {
    return new WorkerWorld(made, (op, args) => this.#call(op, args));
  }

  /** `World.importCsv` in the worker: the world stays there. */
  async importCsv(data, options, onProgress) {
    return this.#world(await this.#call("importCsv", [data, options], onProgress));
  }

  /** `World.importGeojson` in the worker. */
  async importGeojson(text, options, onProgress) {
    return this.#world(await this.#call("importGeojson", [text, options], onProgress));
  }

  /** `World.procedural` in the worker. */
  async procedural(seed, config) {
    return this.#world(await this.#call("procedural", [seed, config]));
  }

  /**
   * `replay(log)` in the worker, then the session restored here from its snapshot (with the log's
   * hunt and rules), so that the game goes on with it; the outcomes of every event as `replay`'s.
   */
  async replay(log, onProgress) {
    const { snapshot, outcomes } = await this.#call("replay", [log], onProgress);
    const end = log.indexOf("\n");
    const header = JSON.parse(end < 0 ? log : log.slice(0, end));
    const hunt = Hunt.from(header.hunt);
    const rules = bindings.Rules.parse(header.rules);
    try {
      return { session: bindings.Session.restore(hunt, rules, snapshot, header.session), outcomes };
    } finally {
      hunt.free();
      rules.free();
    }
  }

  /** Stops the worker and its worlds; calls still running reject with `worker_failed`. */
  terminate() {
    this.#worker.terminate();
    this.#fail(xmarksError("worker_failed", "the worker was terminated"));
  }
}

/** The read-only methods of `World` a `WorkerWorld` forwards (worker.js takes these only). */
const WORKER_READS = [
  "space", "nearest", "within", "reference", "importReport", "kinds", "bounds", "terrainAt", "sitesIn",
  "sitePoints", "biomeRaster", "summary",
];

/** What worker.js shares with this module: the methods it forwards and the package's errors. */
export const __worker = { reads: new Set(WORKER_READS), error: xmarksError, freed };

/**
 * A world held by an `XmarksWorker`: the read-only methods of `World`, each answering with a
 * promise, and `generateHunt`, which answers with the hunt's data (a plain hunt, which `Session`
 * and `Hunt.from` take). `free()` releases it in the worker.
 */
class WorkerWorld {
  #key;
  #call;

  constructor(made, call) {
    this.#key = made.world;
    this.#call = call;
    /** What the world is, known at once: its `space`, `kinds`, `bounds` and import `report`. */
    this.info = { space: made.space, kinds: made.kinds, bounds: made.bounds, report: made.report };
  }

  static {
    for (const method of WORKER_READS) {
      WorkerWorld.prototype[method] = function (...args) {
        return this.#call("call", [this.#key, method, args]);
      };
    }
  }

  generateHunt(template, seeds, player) {
    return this.#call("generateHunt", [this.#key, template, seeds, player]);
  }

  free() {
    return this.#call("free", [this.#key]);
  }
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
