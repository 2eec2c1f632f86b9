// JsonLogic data crosses the boundary in the package's binary encoding (wasm/src/encode.js and
// wasm/src/binary.rs): the engine must see exactly what JSON.stringify would give it, answer JS
// values as JSON.parse would build them, and refuse what JSON cannot hold without breaking.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks } from "./common.mjs";

const { Logic, applyLogic } = xmarks;
const whole = new Logic({ val: [] });
/** What the engine sees of `data`: the whole of it, read back. */
const seen = (data) => whole.apply(data);
const viaJson = (data) => JSON.parse(JSON.stringify(data));

test("data is seen as JSON.stringify sees it", () => {
  class Point {
    constructor() {
      this.x = 1;
    }
    get hidden() {
      return 2;
    }
  }
  const cases = [
    null, 0, -0, 1.5, -1e308, "", "plain", "é, 𝄞 and \u0000 too", true, false,
    [], {}, [1, "a", null, [2, [3]]], { b: 1, a: { c: [true] } },
    { skipped: undefined, fn() {}, sym: Symbol("s"), kept: 1 },
    [undefined, () => 1, Symbol("t")],
    [NaN, Infinity, -Infinity],
    { when: new Date(Date.UTC(2026, 10, 24, 12)) },
    { boxed: [new Number(3), new String("s"), new Boolean(false)] },
    { custom: { toJSON: () => ({ as: "json" }) } },
    { nested: { toJSON: () => ({ toJSON: () => "asked twice" }) } },
    new Point(),
    Object.assign(Object.create(null), { bare: true }),
    { "key with é": "value", "𝄞": ["x"] },
    { long: "x".repeat(100_000), many: Array.from({ length: 5000 }, (_, i) => ({ i })) },
  ];
  for (const data of cases) assert.deepEqual(seen(data), viaJson(data), JSON.stringify(data)?.slice(0, 80));
  assert.equal(seen(undefined), null);
});

test("lookups read the encoded data in place: paths, indexes and strings", () => {
  const data = { a: { "b.c": [10, { d: "deep" }] }, s: "héllo", n: null, list: [1, 2, 3] };
  const get = (path) => new Logic({ val: path }).apply(data);
  assert.equal(get(["a", "b.c", 1, "d"]), "deep");
  assert.equal(get(["a", "b.c", 0]), 10);
  assert.equal(get(["a", "b.c", 2]), null);
  assert.equal(get(["a", "b.c", "01"]), null);
  assert.equal(get(["s", 1]), "é");
  assert.equal(get(["n"]), null);
  assert.equal(new Logic({ exists: ["n"] }).apply(data), true);
  assert.equal(new Logic({ exists: ["m"] }).apply(data), false);
  assert.equal(new Logic({ var: "a.b" }).apply(data), null);
  assert.equal(new Logic({ reduce: [{ var: "list" }, { "+": [{ var: "current" }, { var: "accumulator" }] }, 0] }).apply(data), 6);
  assert.deepEqual(new Logic({ missing: ["a", "n", "zz", "s.0"] }).apply(data), ["n", "zz"]);
});

test("answers are built as JSON.parse builds them", () => {
  const answer = new Logic(JSON.parse('{"preserve": {"__proto__": 1, "list": [1.5, "é𝄞", null, {"z": false}]}}')).apply();
  assert.deepEqual(Object.keys(answer), ["__proto__", "list"]);
  assert.equal(Object.getPrototypeOf(answer), Object.prototype);
  assert.deepEqual(answer, JSON.parse('{"__proto__": 1, "list": [1.5, "é𝄞", null, {"z": false}]}'));
  assert.equal(Object.is(new Logic({ "*": [-1, 0] }).apply(), 0), true, "-0 answers as 0, as JSON would");
  assert.equal(applyLogic({ cat: ["x".repeat(40), "é"] }), "x".repeat(40) + "é");
});

test("what JSON cannot hold is refused, and the instance goes on", () => {
  const cycle = {};
  cycle.self = cycle;
  const throwing = { get boom() { throw new Error("getter"); } };
  const refusals = [
    [{ big: 10n }, /BigInt/],
    [cycle, /a cycle/],
    [throwing, /threw/],
    [{ toJSON() { throw new Error("no"); } }, /threw/],
  ];
  for (const [data, message] of refusals) {
    for (const call of [() => whole.apply(data), () => applyLogic({ var: "x" }, data), () => applyLogic(data, null)]) {
      let error;
      try {
        call();
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof Error);
      assert.equal(error.code, "input_invalid");
      assert.match(error.message, message);
    }
    assert.equal(applyLogic({ "+": [{ var: "a" }, 1] }, { a: 2 }), 3, "the instance still works");
  }
  // As JSON.stringify has nothing to write for them: no rule, or data that is a function.
  for (const call of [() => applyLogic(undefined), () => new Logic(() => 1), () => whole.apply(() => 1)]) {
    assert.throws(call, (e) => e.code === "input_invalid" && /not JSON-compatible/.test(e.message));
  }
  // Deep rules meet the compiler's limit, with its own error (as natively).
  let deep = 1;
  for (let i = 0; i < 200; i++) deep = { "!": [deep] };
  assert.throws(() => applyLogic(deep), (e) => e.code === "logic_invalid");
});

test("applyLogic compiles a rule once and tells rules apart by their content", () => {
  const rule = { "==": [{ var: "x" }, 1] };
  assert.equal(applyLogic(rule, { x: 1 }), true);
  rule["=="][1] = 2; // the same object, changed: a different rule
  assert.equal(applyLogic(rule, { x: 1 }), false);
  assert.equal(applyLogic(rule, { x: 2 }), true);
  assert.equal(applyLogic('{"==":[1,1]}'), '{"==":[1,1]}', "a string is a string rule (a literal)");
  const error = (() => { try { applyLogic({ "/": [1, 0] }); } catch (e) { return e; } })();
  assert.equal(error.code, "logic_error");
  assert.deepEqual(error.error, { type: "NaN" });
});

test("applyLogic compiles a deep-frozen rule once per object, and only a rule that cannot change", () => {
  const freeze = (v) => {
    if (typeof v === "object" && v !== null) {
      Object.values(v).forEach(freeze);
      Object.freeze(v);
    }
    return v;
  };
  const frozen = freeze({ if: [{ "<": [{ var: "x" }, 3] }, "low", { cat: ["high ", { var: "x" }] }] });
  assert.equal(applyLogic(frozen, { x: 1 }), "low");
  assert.equal(applyLogic(frozen, { x: 5 }), "high 5");
  assert.equal(applyLogic(frozen), "low", "no data is null");
  assert.throws(() => { "use strict"; frozen.if[1] = "changed"; }, TypeError);
  assert.equal(applyLogic(frozen, { x: 1 }), "low");
  // Frozen at the top only: an inner part can change, so it is read again at every call.
  const shallow = Object.freeze({ "==": [{ var: "x" }, 1] });
  assert.equal(applyLogic(shallow, { x: 1 }), true);
  shallow["=="][1] = 2;
  assert.equal(applyLogic(shallow, { x: 1 }), false);
  assert.equal(applyLogic(shallow, { x: 2 }), true);
  // A getter may answer differently each time, even on a frozen object.
  let n = 0;
  const getter = Object.freeze({ get "+"() { return [n++, 0]; } });
  assert.deepEqual([applyLogic(getter), applyLogic(getter)], [0, 1]);
  // An invalid frozen rule is refused at each call, like any other.
  const bad = freeze({ "==": [1] });
  for (let i = 0; i < 2; i++) assert.throws(() => applyLogic(bad), (e) => e.code === "logic_invalid");
  // A rule that raises, frozen, raises each time with the raised value.
  const raises = freeze({ throw: { var: "e" } });
  const error = (() => { try { applyLogic(raises, { e: "boom" }); } catch (e) { return e; } })();
  assert.equal(error.code, "logic_error");
  assert.deepEqual(error.error, { type: "boom" });
});

test("answers of every kind come back as JSON.parse builds them, through Logic.apply and applyLogic", () => {
  const data = { s: "é ok", n: -0, a: [1, "two", null, { deep: [true] }], o: { k: "v" }, big: 1e300 };
  const parsed = JSON.parse(JSON.stringify(data));
  for (const path of ["s", "n", "a", "o", "big", "a.3.deep"]) {
    const expected = path.split(".").reduce((v, k) => v?.[k], parsed);
    assert.deepEqual(new Logic({ var: path }).apply(data), expected, path);
    assert.deepEqual(applyLogic({ var: path }, data), expected, path);
  }
  assert.ok(Object.is(applyLogic({ "*": [-1, 0] }), 0), "-0 is 0, as JSON writes it");
  assert.equal(applyLogic({ "*": [1e300, 1e300] }), null, "Infinity is null, as JSON writes it");
});
