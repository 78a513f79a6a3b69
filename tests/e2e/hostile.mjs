// Hostile input at the JS boundary, shared by the Node test (tests/js/hostile.test.mjs, the
// module's Backend) and the browser page (tests/e2e/hostile.html, through openInWorker): every
// method called again and again with generated bad values. The rules checked for each call:
// - Promise methods never throw synchronously, iterator methods return an iterator at once;
// - a rejection is a FlowFabricError whose kind and code are in docs/API.md's error table
//   (never a TypeError, never a wasm RuntimeError such as "unreachable");
// - a value of a type the contract never accepts there is rejected (not quietly accepted);
// - no message contains 32 or more characters of a handle token.
// A seeded generator makes every run the same; `hostileRun` returns the failures it saw.

/** docs/API.md's error table: kind -> codes. */
export const DOCUMENTED = {
  validation: ["invalid_input", "corruption", "handle_from_other_backend", "retention_limit_exceeded"],
  not_found: ["execution", "attempt"],
  contention: ["lease_conflict", "execution_not_active"],
  state: ["lease_expired", "stream_closed", "closed", "stale_lease", "lease_revoked"],
  storage: ["storage_unavailable", "storage_busy", "storage_full", "io"],
};

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MEGABYTE = "x".repeat(1 << 20);
const throwing = (what) => () => {
  throw new Error(`hostile ${what}`);
};

/** Objects that fight back: every trap a conversion might hit throws. Tagged "hostile". */
function hostileObjects() {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const everyKey = new Proxy({}, { get: throwing("get"), has: throwing("has"), ownKeys: throwing("ownKeys") });
  return [
    new Proxy({}, { get: throwing("get") }),
    new Proxy({ token: "x", payload: "x" }, { ownKeys: throwing("ownKeys") }),
    new Proxy({}, { getPrototypeOf: throwing("getPrototypeOf") }),
    new Proxy({ a: "b" }, { getOwnPropertyDescriptor: throwing("getOwnPropertyDescriptor") }),
    new Proxy(["a"], { get: throwing("array get") }),
    new Proxy(new Uint8Array(4), { get: throwing("typed array get") }),
    new Proxy(() => 1, { apply: throwing("apply") }),
    revoked.proxy,
    everyKey,
    { [Symbol.toPrimitive]: throwing("toPrimitive"), toString: throwing("toString"), valueOf: throwing("valueOf") },
  ].map((value) => ({ value, kind: "hostile" }));
}

function classify(v) {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return "bytes";
  return typeof v;
}

/** Plain bad values, each with its class (what the type rules below look at). */
function plainValues(tokens) {
  const values = [
    undefined, null, true, false, 0, -0, -1, 1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64,
    -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, 10n, Symbol("s"), "", " ", "x", MEGABYTE, "\uD800", "\uDFFF",
    "a\uD800b", "\u0000", "line\nbreak", "{fp:0}:not-a-uuid", "{fp:1}:00000000-0000-4000-8000-000000000000",
    "{fp:0}:00000000-0000-4000-8000-000000000000", "0", "-1", "1-2-3", "start", "end", "99999999999999999999", "0-0",
    "9223372036854775807-9223372036854775807", "__proto__", "constructor", {}, [], [1], ["a", 1], ["a", "b"],
    () => 1, new Date(0), /x/, new Map([["a", "b"]]), new Set(), new Uint8Array(3), new ArrayBuffer(2),
    new DataView(new ArrayBuffer(1)), new Uint16Array(2), new Error("e"), Object.create(null), Object.freeze({ a: 1 }),
    { token: 5 }, { token: null }, { token: {} }, { then: throwing("then") },
  ];
  for (const t of tokens) {
    values.push(t, t.slice(0, 40), t.slice(0, t.length - 3), t + "AAAA", t.slice(0, 20) + "!" + t.slice(21), { token: t },
      { token: t.slice(0, 50) }, t.split("").reverse().join(""));
  }
  return values.map((value) => ({ value, kind: classify(value) }));
}

// What each position or option key accepts, by class: anything else is rejected. "any" marks
// places whose contents decide (an object's keys, a string's text).
const ACCEPTS = {
  id: ["string"],
  index: ["number"],
  handle: ["string", "object"],
  // Option objects: any object is read key by key (a typed array just has none of the keys).
  options: ["undefined", "null", "object", "bytes"],
  required: ["object", "bytes"],
  bytes: ["undefined", "string", "bytes"],
  string: ["undefined", "string"],
  // Optional arguments (not keys): `null` reads as left out.
  optionalBytes: ["undefined", "null", "string", "bytes"],
  optionalString: ["undefined", "null", "string"],
  fn: ["function"],
  int: ["undefined", "number"],
  number: ["undefined", "number"],
  strings: ["undefined", "array"],
  record: ["undefined", "null", "object", "bytes"],
  object: ["undefined", "null", "object", "bytes"],
  any: null,
};

// The methods: each argument's type, and for option objects a valid base and each key's type.
// `ctx` holds a live execution and handle.
const METHODS = {
  createExecution: [["options", () => ({ lane: "l", priority: 1, capabilities: ["c"], payload: "p", namespace: "n", kind: "k", tags: { a: "b" }, delayUntilMs: 0, retryPolicy: { maxRetries: 1 } }),
    { executionId: "string", lane: "string", priority: "int", capabilities: "strings", payload: "bytes", namespace: "string", kind: "string", tags: "record", delayUntilMs: "int", retryPolicy: "object" }]],
  getExecution: [["id", (c) => c.id]],
  listExecutions: [["options", () => ({ limit: 5 }), { lane: "string", publicState: "string", after: "string", limit: "int" }]],
  claim: [["required", () => ({ workerId: "w", leaseTtlMs: 60_000, lane: "l2" }), { workerId: "string", workerInstanceId: "string", lane: "string", capabilities: "strings", leaseTtlMs: "int" }, ["workerId"]]],
  renew: [["handle", (c) => c.handle]],
  progress: [["handle", (c) => c.handle], ["options", () => ({ percent: 5, message: "m" }), { percent: "number", message: "string" }]],
  complete: [["handle", (c) => c.handle], ["optionalBytes", () => "result"]],
  fail: [["handle", (c) => c.handle], ["required", () => ({ message: "m", classification: "permanent" }), { message: "string", classification: "string" }, ["message"]]],
  cancel: [["handle", (c) => c.handle], ["optionalString", () => "why"]],
  reclaimExpired: [],
  appendFrame: [["handle", (c) => c.handle], ["required", () => ({ payload: "p" }), { payload: "bytes", kind: "string", frameType: "string", correlationId: "string", mode: "any" }, ["payload"]]],
  readStream: [["id", (c) => c.id], ["index", () => 0], ["options", () => ({ limit: 5 }), { from: "string", to: "string", limit: "int" }]],
  tailStream: [["id", (c) => c.id], ["index", () => 0], ["required", () => ({ after: "0-0", blockMs: 0 }), { after: "string", blockMs: "int", limit: "int", visibility: "string" }, ["after"]]],
  readSummary: [["id", (c) => c.id], ["index", () => 0]],
  tail: [["id", (c) => c.id], ["index", () => 0], ["options", () => ({ after: "0-0" }), { after: "string", visibility: "string", limit: "int", signal: "any" }]],
  completions: [["options", () => ({ after: "0" }), { after: "string", lane: "string", namespace: "string", signal: "any" }]],
  leaseHistory: [["options", () => ({ after: "0" }), { after: "string", executionId: "string", signal: "any" }]],
  waiterCount: [],
  benchRawInserts: [["index", () => 3]],
  groupCommit: [["fn", () => () => 1]],
};
const ITERATORS = new Set(["tail", "completions", "leaseHistory"]);

/** Whether `kind` is a class the type `type` never accepts (so the call must reject). */
const refuses = (type, kind) => ACCEPTS[type] !== null && kind !== "hostile" && !ACCEPTS[type].includes(kind);

/** One generated call: its arguments, a description, and whether it must be rejected. */
function generate(r, method, ctx, values) {
  const pick = (list) => list[Math.floor(r() * list.length)];
  const spec = METHODS[method];
  const args = spec.map(([, base]) => base(ctx));
  if (spec.length === 0) return { args: [pick(values).value], what: "an extra argument", mustReject: false };
  const at = Math.floor(r() * spec.length);
  const [type, , keys, required = []] = spec[at];
  const roll = r();
  if (keys && roll < 0.55) {
    const key = pick(Object.keys(keys));
    const bad = r() < 0.1 ? { value: undefined, kind: "getter" } : pick(values);
    args[at] = { ...args[at], [key]: bad.value };
    if (bad.kind === "getter") Object.defineProperty(args[at], key, { get: throwing(`getter ${key}`), enumerable: true });
    const missing = bad.value === undefined && required.includes(key);
    return { args, what: `${key} = ${describe(bad)}`, mustReject: missing || (bad.kind === "getter" && keys[key] !== "any") || refuses(keys[key], bad.kind) };
  }
  if (keys && roll < 0.65) {
    if (required.length && r() < 0.5) {
      delete args[at][pick(required)];
      return { args, what: "a required key left out", mustReject: true };
    }
    args[at] = { ...args[at], [pick(["extra", "__proto__", "toString", "then"])]: pick(values).value };
    return { args, what: "an extra key", mustReject: false };
  }
  const bad = pick(values);
  args[at] = bad.value;
  const emptyButRequired = type === "required" && ["undefined", "null"].includes(bad.kind);
  return { args, what: `argument ${at} = ${describe(bad)}`, mustReject: emptyButRequired || refuses(type, bad.kind) };
}

function describe({ value, kind }) {
  if (kind === "hostile" || kind === "getter") return kind;
  if (typeof value === "string") return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  if (typeof value === "symbol" || typeof value === "bigint") return kind;
  try {
    return `${kind} ${String(value).slice(0, 30)}`;
  } catch {
    return kind;
  }
}

/** Checks one settled call against the rules; returns a failure description or null. */
function judge(outcome, call, tokens, FlowFabricError) {
  if (outcome.threw) return `threw synchronously: ${outcome.error?.name}: ${outcome.error?.message}`;
  if (outcome.ok) return call.mustReject ? "resolved, but the contract never accepts this" : null;
  const e = outcome.error;
  if (!(e instanceof FlowFabricError)) return `rejected with ${e?.name ?? typeof e}: ${e?.message ?? String(e)}`;
  if (!DOCUMENTED[e.kind]?.includes(e.code)) return `undocumented ${e.kind}/${e.code}: ${e.message}`;
  for (const t of tokens) {
    for (let i = 0; i + 32 <= t.length; i += 8) {
      if (e.message.includes(t.slice(i, i + 32))) return `message shows a token: ${e.message}`;
    }
  }
  return null;
}

/** Runs one call: a Promise method, or an iterator's first next() then return(). */
async function run(ff, method, args) {
  const settle = (p) => Promise.resolve(p).then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
  try {
    if (!ITERATORS.has(method)) return await settle(ff[method](...args));
    const iterator = ff[method](...args);
    const next = settle(iterator.next());
    // A live tail would wait for ever: give it a turn, then end it (next() then settles).
    await new Promise((resolve) => setTimeout(resolve, 0));
    await iterator.return?.();
    return await next;
  } catch (error) {
    return { threw: true, error };
  }
}

/**
 * Calls every method `rounds` times with generated bad values on `ff`; `FlowFabricError` is the
 * class rejections must be. Returns counts and the distinct failures (at most 50).
 */
export async function hostileRun(ff, { seed = 1, rounds = 200, FlowFabricError }) {
  const r = mulberry32(seed);
  const tokens = [];
  const fresh = async () => {
    const { executionId } = await ff.createExecution({ lane: "hostile" });
    const handle = await ff.claim({ workerId: "h", lane: "hostile", leaseTtlMs: 3_600_000 });
    tokens.push(handle.token);
    return { id: executionId, handle };
  };
  let ctx = await fresh();
  const values = [...plainValues(tokens), ...hostileObjects()];
  const failures = new Map();
  const counts = { calls: 0, rejected: 0, resolved: 0, mustReject: 0 };
  for (let round = 0; round < rounds; round++) {
    if (round % 10 === 0) {
      ctx = await fresh();
      values.push(...plainValues([ctx.handle.token]));
    }
    for (const method of Object.keys(METHODS)) {
      const call = generate(r, method, ctx, values);
      const outcome = await run(ff, method, call.args);
      counts.calls++;
      counts.mustReject += call.mustReject ? 1 : 0;
      counts[outcome.ok ? "resolved" : "rejected"]++;
      const failure = judge(outcome, call, tokens, FlowFabricError);
      const key = `${method}(${call.what}): ${failure}`;
      if (failure && !failures.has(key) && failures.size < 50) failures.set(key, round);
    }
  }
  return { ...counts, failures: [...failures.keys()] };
}

export const methodNames = Object.keys(METHODS);
