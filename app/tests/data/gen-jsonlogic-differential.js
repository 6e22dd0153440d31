#!/usr/bin/env node
// Differential test data for Junction's JSON Logic engine (app/src/rules).
//
// Generates random routing-style JSON Logic rules and answer objects, runs them through the
// reference implementation json-logic-js, and writes one case per line:
//   {"r": rule, "d": data, "e": expected}   expected = JSON.parse(JSON.stringify(result))
//   {"r": rule, "d": data, "x": true}       json-logic-js threw
//
// Regenerate from the repository root (the output is the same for the same count, seed and
// json-logic-js version; 2000 and 20240611 are the defaults):
//   (mkdir -p /tmp/jlref && cd /tmp/jlref && npm install json-logic-js@2.0.5)
//   NODE_PATH=/tmp/jlref/node_modules node app/tests/data/gen-jsonlogic-differential.js \
//       app/tests/data/jsonlogic-differential.jsonl 2000 20240611
// then run `cargo test -p app rules:: -- --nocapture` (the test asserts at least 99.5% agreement and prints
// every disagreement).
//
// Rules keep to the argument counts Junction's compiler accepts (it rejects e.g. {"==":[1]}
// and {"*":[]}), and the data never holds single-key objects (json-logic-js would run them as
// logic when `missing` re-applies its keys).
"use strict";

const fs = require("fs");
const jsonLogic = require("json-logic-js");

const out = process.argv[2] || "jsonlogic-differential.jsonl";
const COUNT = Number(process.argv[3] || 2000);
let seed = Number(process.argv[4] || 20240611) >>> 0;

// mulberry32
function rnd() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;
// One argument, either bare ({"!": x}) or wrapped ({"!": [x]}); a bare array would be read
// as the argument list.
const single = (x) => (Array.isArray(x) || chance(0.5) ? [x] : x);
const times = (lo, hi, f) => Array.from({ length: lo + int(hi - lo + 1) }, f);

const STRINGS = ["DE", "de", "AT", "CH", "", "0", "1", "10", "2", "500", "abc", " 5 ", "1e3", "0x10",
  "true", "false", "null", "a,b", "DE,AT", "apple", "Apple", "12abc", "-3", "0.5", "Infinity",
  "é", "Straße", "日本", "2024-01-05", " ", "[object Object]", "yes", "no", "B2B", "b2b"];
const NUMBERS = [0, 1, -1, 2, 3, 2.5, 0.1, 0.2, 500, 499.99, 1000, -0.5, 1e21, 1e-7, 123456789,
  3.14159, 100, 10, 42, 7];
const VARS = ["country", "size", "age", "email", "name", "answers.q1", "answers.q2", "tags",
  "tags.0", "tags.1", "tags.length", "items", "items.0.qty", "items.1.name", "consent", "score",
  "empty", "zero", "nothing", "missing_field", "nested.deep.value", "answers", "code", "name.0",
  "name.length", "list", "flag"];
const KEYS = ["country", "size", "email", "answers.q1", "consent", "code", "nothing", "empty",
  "missing_field", "nested.deep.value", "tags.0"];

function scalar() {
  switch (int(4)) {
    case 0: case 1: return pick(STRINGS);
    case 2: return pick(NUMBERS);
    default: return pick([true, false, null]);
  }
}

function literalArray() {
  switch (int(5)) {
    case 0: return times(0, 4, () => pick(STRINGS));
    case 1: return times(0, 4, () => pick(NUMBERS));
    case 2: return times(0, 3, scalar);
    case 3: return pick([[], [null], [[1, 2], 3], [[]], ["DE", "AT"], [1, "1", true]]);
    default: return times(1, 3, () => pick(["DE", "AT", "CH", "FR"]));
  }
}

function anyData() {
  switch (int(6)) {
    case 0: return pick(STRINGS);
    case 1: return pick(NUMBERS);
    case 2: return pick([true, false, null]);
    case 3: return literalArray();
    case 4: return {};
    default: return { a: pick(NUMBERS), b: pick(STRINGS) };
  }
}

function data() {
  const d = {};
  const maybe = (k, f) => { if (chance(0.8)) d[k] = f(); };
  maybe("country", () => pick(["DE", "AT", "de", "CH", "", null, 49, ["DE"]]));
  maybe("size", () => pick([0, 1, 500, 499, 1000, "500", "1e3", "", null, "abc", 250.5, [500], true]));
  maybe("age", () => pick([17, 18, 65, "18", "", null, -1, 30.5]));
  maybe("email", () => pick(["a@b.de", "", null, "X@Example.com", 5]));
  maybe("name", () => pick(["Anna", "", "Ægir", "日本語", null, 0, "0"]));
  maybe("answers", () => {
    const a = {};
    if (chance(0.7)) a.q1 = pick(["yes", "no", "", null, 1, 0, true, false, ["yes"]]);
    if (chance(0.7)) a.q2 = pick(["10", 10, "", null, "ten", [1, 2]]);
    if (Object.keys(a).length === 1) a.q9 = "x";
    return a;
  });
  maybe("tags", () => pick([[], ["a"], ["DE", "AT"], ["b2b", "vip", "DE"], [1, 2, 3], [0], [""], null, "DE", [null, 1]]));
  maybe("items", () => times(0, 3, () => ({ qty: pick([0, 1, 2, 5, "3", null]), name: pick(["apple", "pear", ""]) })));
  maybe("consent", () => pick([true, false, "true", "false", 1, 0, null, ""]));
  maybe("score", () => pick([0, 0.1, 0.2, 0.30000000000000004, 99.5, -3, 1e21, 1e-7, "7.5", NaN].filter((x) => !Number.isNaN(x))));
  maybe("empty", () => pick(["", [], {}, null]));
  maybe("zero", () => pick([0, "0", -0.0, 0.0]));
  maybe("nested", () => ({ deep: pick([{ value: pick(STRINGS), other: 1 }, null, {}]), x: 1 }));
  maybe("code", () => pick(["DE-10115", "AT-1010", "10115", 10115, "", null]));
  maybe("list", () => literalArray());
  maybe("flag", () => pick([true, false, null, 0, 1]));
  if (chance(0.05)) return anyData();
  return d;
}

function varExpr() {
  switch (int(10)) {
    case 0: return { var: [pick(VARS), scalar()] };
    case 1: return { var: pick(["", null, []].concat([pick(VARS)])) };
    case 2: return { var: pick([0, 1, "1"]) };
    default: return { var: pick(VARS) };
  }
}

function operand(d) {
  if (d <= 0 || chance(0.55)) return chance(0.6) ? varExpr() : scalar();
  return valueExpr(d - 1);
}

const CMP = ["==", "===", "!=", "!==", "<", "<=", ">", ">="];

function comparison(d) {
  const op = pick(CMP);
  const args = [operand(d), chance(0.6) ? scalar() : operand(d)];
  if ((op === "<" || op === "<=") && chance(0.2)) args.push(operand(d));
  if (chance(0.5)) args.reverse();
  return { [op]: args };
}

function scopedBody(d) {
  switch (int(5)) {
    case 0: return { [pick(CMP.slice(0, 4))]: [{ var: "" }, scalar()] };
    case 1: return { [pick([">", ">=", "<"])]: [{ var: "qty" }, pick([0, 1, 2, "1"])] };
    case 2: return { in: [{ var: "" }, literalArray()] };
    case 3: return { "!!": [{ var: pick(["", "qty", "name"]) }] };
    default: return d > 0 ? boolExpr(d - 1) : { var: "" };
  }
}

function arraySource(d) {
  switch (int(4)) {
    case 0: return literalArray();
    case 1: return { var: pick(["tags", "items", "list", "answers.q2", "country", "nothing"]) };
    case 2: return d > 0 ? { merge: times(0, 3, () => (chance(0.5) ? literalArray() : operand(d - 1))) } : literalArray();
    default: return { var: pick(["tags", "items", "list"]) };
  }
}

function boolExpr(d) {
  if (d <= 0) return comparison(0);
  switch (int(12)) {
    case 0: case 1: return { [pick(["and", "or"])]: times(1, 4, () => boolExpr(d - 1)) };
    case 2: return { [pick(["!", "!!"])]: single(chance(0.5) ? boolExpr(d - 1) : operand(d)) };
    case 3: case 4: case 5: return comparison(d);
    case 6: {
      const hay = pick([literalArray(), pick(STRINGS), varExpr(), operand(d)]);
      return { in: [operand(d), hay] };
    }
    case 7: return { [pick(["some", "all", "none"])]: [arraySource(d - 1), scopedBody(d - 1)] };
    case 8: return { missing: chance(0.5) ? times(0, 3, () => pick(KEYS)) : pick([pick(KEYS), { merge: [pick(KEYS), { if: [varExpr(), [pick(KEYS)], []] }] }]) };
    case 9: return { missing_some: [pick([0, 1, 2, "1", 3]), chance(0.85) ? times(0, 4, () => pick(KEYS)) : { var: pick(["tags", "nothing", "country"]) }] };
    case 10: return { if: [boolExpr(d - 1), boolExpr(d - 1), boolExpr(d - 1)] };
    default: return { [pick(["and", "or"])]: times(1, 3, () => (chance(0.5) ? operand(d) : boolExpr(d - 1))) };
  }
}

function valueExpr(d) {
  if (d <= 0) return chance(0.6) ? varExpr() : scalar();
  switch (int(20)) {
    case 0: case 1: return varExpr();
    case 2: return scalar();
    case 3: return literalArray();
    case 4: case 5: return { cat: chance(0.2) ? operand(d) : times(0, 3, () => operand(d)) };
    case 6: {
      const args = [operand(d), pick([0, 1, 2, -1, -3, 10, "1", -20, null, 1.5])];
      if (chance(0.6)) args.push(pick([0, 1, 2, -1, -2, 5, "2", "-1", null, 100, [-1]]));
      return { substr: args };
    }
    case 7: return { "+": chance(0.2) ? operand(d) : times(0, 3, () => operand(d)) };
    case 8: return { "-": times(1, 2, () => operand(d)) };
    case 9: return { "*": times(1, 3, () => operand(d)) };
    case 10: return { [pick(["/", "%"])]: [operand(d), operand(d)] };
    case 11: return { [pick(["min", "max"])]: times(1, 3, () => operand(d)) };
    case 12: return { merge: chance(0.2) ? operand(d) : times(0, 3, () => (chance(0.5) ? literalArray() : operand(d))) };
    case 13: {
      const n = pick([1, 2, 3, 3, 4, 5]);
      return { [pick(["if", "?:"])]: times(n, n, (_, i) => (i % 2 === 0 && i < n - 1 ? boolExpr(d - 1) : operand(d))) };
    }
    case 14: return { map: [arraySource(d - 1), pick([{ var: "" }, { "*": [{ var: "" }, 2] }, { cat: [{ var: "" }, "!"] }, { var: "qty" }, scopedBody(d - 1)])] };
    case 15: return { filter: [arraySource(d - 1), scopedBody(d - 1)] };
    case 16: {
      const body = pick([
        { "+": [{ var: "accumulator" }, { var: "current" }] },
        { "+": [{ var: "accumulator" }, { var: "current.qty" }] },
        { cat: [{ var: "accumulator" }, { var: "current" }] },
        { "*": [{ var: "accumulator" }, { var: "current" }] },
        { max: [{ var: "accumulator" }, { var: "current" }] },
        { if: [{ var: "current" }, { var: "accumulator" }, { var: "current" }] },
      ]);
      const args = [arraySource(d - 1), body];
      if (chance(0.8)) args.push(pick([0, 1, "", null, "x", [] ]));
      return { reduce: args };
    }
    case 17: return { var: [valueExpr(d - 1)] };
    case 18: return { log: single(operand(d)) };
    default: return boolExpr(d);
  }
}

function rule() {
  const d = 1 + int(3);
  return chance(0.6) ? boolExpr(d) : valueExpr(d);
}

const origLog = console.log;
console.log = () => {}; // the `log` operation prints; keep quiet

const seen = new Set();
const lines = [];
let guard = 0;
while (lines.length < COUNT && guard++ < COUNT * 50) {
  // Evaluate exactly what the JSON line says (JSON.stringify turns -0 into 0).
  const r = JSON.parse(JSON.stringify(rule()));
  const dt = JSON.parse(JSON.stringify(data()));
  const key = JSON.stringify([r, dt]);
  if (seen.has(key)) continue;
  let line;
  try {
    const result = jsonLogic.apply(r, dt);
    const text = JSON.stringify(result);
    if (text === undefined) continue; // `undefined` has no JSON form
    line = JSON.stringify({ r, d: dt, e: JSON.parse(text) });
  } catch (e) {
    line = JSON.stringify({ r, d: dt, x: true });
  }
  if (line.length > 1500) continue;
  seen.add(key);
  lines.push(line);
}
fs.writeFileSync(out, lines.join("\n") + "\n");
console.log = origLog;
const errors = lines.filter((l) => l.endsWith('"x":true}')).length;
console.error(`wrote ${lines.length} cases (${errors} where json-logic-js threw) to ${out}, ${fs.statSync(out).size} bytes`);
