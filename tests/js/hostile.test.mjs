// Hostile input at the JS boundary (the rules are in tests/e2e/hostile.mjs): every method of the
// contract, thousands of generated bad values, each rejected with a documented FlowFabricError
// or accepted where the contract allows; afterwards the database passes the sqlite3 CLI's
// integrity check and valid calls still work. Also open() with hostile options, summary patches
// that are not JSON or nest 10,000 deep, and databases that are not ours.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, FlowFabricError } from "ff-backend-wasm";
import { DOCUMENTED, hostileRun, methodNames } from "../e2e/hostile.mjs";

const scratch = () => mkdtempSync(join(tmpdir(), "ff-hostile-"));

/** The sqlite3 CLI's verdict on an exported image. */
function integrity(image) {
  const dir = scratch();
  try {
    writeFileSync(join(dir, "db"), image);
    return execFileSync("sqlite3", [join(dir, "db"), "PRAGMA integrity_check"], { encoding: "utf8" }).trim();
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** The documented error a call must reject with. */
const rejectsAs = (kind, code) => (e) => e instanceof FlowFabricError && e.kind === kind && e.code === code;

async function stillWorks(ff) {
  const { executionId } = await ff.createExecution({ lane: "after" });
  const h = await ff.claim({ workerId: "w", lane: "after" });
  await ff.appendFrame(h, { payload: "fine" });
  await ff.appendFrame(h, { payload: '{"ok":true}', mode: "summary" });
  await ff.complete(h, "done");
  const frames = [];
  for await (const f of ff.tail(executionId, 0)) frames.push(f.fields.payload);
  assert.deepEqual(frames, ["fine", '{"ok":true}']);
  assert.deepEqual((await ff.readSummary(executionId, 0)).document, { ok: true });
}

test("every method, thousands of generated bad values: only documented rejections, never a trap", async () => {
  const ff = await open();
  const started = Date.now();
  const report = await hostileRun(ff, { seed: 20_261_128, rounds: 1000, FlowFabricError });
  assert.deepEqual(report.failures, [], `${report.failures.length} kinds of failure`);
  assert.ok(report.calls >= 1000 * methodNames.length, `${report.calls} calls`);
  assert.ok(report.rejected > report.calls / 2 && report.mustReject > 5000, JSON.stringify(report));
  assert.equal(await ff.waiterCount(), 0, "every iterator was released");
  assert.equal(integrity(await ff.exportImage()), "ok");
  await stillWorks(ff);
  console.log(`# hostile: ${report.calls} calls (${report.rejected} rejected, ${report.mustReject} had to be) in ${Date.now() - started} ms`);
});

test("regressions: revoked proxies and throwing traps reject invalid_input instead of throwing a TypeError", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const throws = () => {
    throw new Error("trap");
  };
  const signal = new Proxy({}, { getPrototypeOf: throws });
  const cases = [
    () => ff.getExecution(revoked.proxy),
    () => ff.listExecutions(revoked.proxy),
    () => ff.renew(revoked.proxy),
    () => ff.cancel(revoked.proxy),
    () => ff.claim({ workerId: "w", capabilities: new Proxy(["gpu"], { get: throws }) }),
    () => ff.createExecution({ tags: new Proxy({ a: "b" }, { ownKeys: throws }) }),
    () => ff.tail(executionId, 0, revoked.proxy).next(),
    () => ff.completions({ signal }).next(),
  ];
  for (const call of cases) {
    let outcome;
    try {
      outcome = await call().then(() => "resolved", (e) => e);
    } catch (e) {
      outcome = `threw synchronously: ${e}`;
    }
    assert.ok(rejectsAs("validation", "invalid_input")(outcome), `${call}: ${outcome}`);
  }
});

test("summary patches that are not JSON objects or nest 10,000 deep are invalid_input and write nothing", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  const deep = (open, close, n) => open.repeat(n) + "1" + close.repeat(n);
  const patches = [
    "not json", "{", "[1]", "42", "null", '"__ff_null__"', "\uD800", deep('{"a":', "}", 10_000), deep("[", "]", 10_000),
    `{"a":${deep("[", "]", 10_000)}}`, `{"a":${deep('{"b":', "}", 17)}}`, new Uint8Array([0xff, 0xfe, 0x7b]),
  ];
  for (const payload of patches) {
    await assert.rejects(ff.appendFrame(h, { payload, mode: "summary" }), rejectsAs("validation", "invalid_input"), String(payload).slice(0, 20));
  }
  assert.equal(await ff.readSummary(executionId, 0), null);
  assert.deepEqual((await ff.readStream(executionId, 0)).frames, []);
  assert.equal((await ff.appendFrame(h, { payload: '{"a":1}', mode: "summary" })).summaryVersion, 1);
});

test("an image that uses auto_vacuum, which the .wasm's SQLite leaves out, is refused by name, not opened read-only", async () => {
  const dir = scratch();
  try {
    const path = join(dir, "vacuumed.db");
    writeFileSync(path, await (await open()).exportImage());
    execFileSync("sqlite3", [path, "PRAGMA auto_vacuum = FULL; VACUUM;"]);
    const image = readFileSync(path);
    assert.notEqual(new DataView(image.buffer, image.byteOffset).getUint32(52), 0, "sqlite3 wrote an auto_vacuum file");
    await assert.rejects(open({ image }), (e) => rejectsAs("storage", "storage_unavailable")(e) && /auto_vacuum/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("open() with hostile options rejects with a FlowFabricError, never a TypeError", async () => {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const trap = new Proxy({}, { get() { throw new Error("hostile get"); } });
  const getter = Object.defineProperty({}, "storage", { get() { throw new Error("hostile getter"); }, enumerable: true });
  const bad = [5, "memory", true, [], () => 1, Symbol("s"), 10n, revoked.proxy, trap, getter,
    { storage: "disk" }, { storage: 5 }, { name: 5 }, { image: "not bytes" }, { image: new Uint8Array(10) },
    { image: new Uint8Array(200) }, { image: trap }, { image: revoked.proxy }, { now: 5 }, { now: trap },
    { storage: "opfs" }, { storage: "opfs", image: new Uint8Array(1) }];
  for (const [n, options] of bad.entries()) {
    let outcome;
    try {
      outcome = await open(options).then(() => "opened", (e) => e);
    } catch (e) {
      outcome = `threw synchronously: ${e}`;
    }
    assert.ok(outcome instanceof FlowFabricError, `options #${n}: ${outcome}`);
    assert.ok(DOCUMENTED[outcome.kind]?.includes(outcome.code), outcome.message);
  }
  await stillWorks(await open());
});

test("a SQLite database of another application (sqlite3 CLI) and a file that is not one are refused untouched", async () => {
  const dir = scratch();
  try {
    const path = join(dir, "notes.db");
    execFileSync("sqlite3", [path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');"]);
    const image = readFileSync(path);
    const copy = Uint8Array.from(image);
    await assert.rejects(open({ image }), (e) => rejectsAs("storage", "storage_unavailable")(e) && /another application/.test(e.message));
    assert.deepEqual(Uint8Array.from(image), copy, "the caller's bytes are untouched");
    assert.equal(execFileSync("sqlite3", [path, "SELECT body FROM notes"], { encoding: "utf8" }).trim(), "mine");
    const text = new TextEncoder().encode("just some text, not a database\n".repeat(20));
    await assert.rejects(open({ image: text }), rejectsAs("validation", "invalid_input"));
    // Our own exported image carries this package's application_id and opens again.
    const ours = await (await open()).exportImage();
    assert.equal(new DataView(ours.buffer, ours.byteOffset).getUint32(68), 0x46466277);
    await stillWorks(await open({ image: ours }));
  } finally {
    rmSync(dir, { recursive: true });
  }
});
