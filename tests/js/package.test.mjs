// The package entry as users import it: loading, errors, disposal, initSync, the README demo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { open, openInWorker, FlowFabricError } from "ff-backend-wasm";

test("open() needs no manual init and defaults to memory", async () => {
  const ff = await open();
  assert.equal(ff.storage, "memory");
  assert.equal(ff.name, "flowfabric.db");
  const { executionId, created } = await ff.createExecution({ payload: new Uint8Array([1, 2]) });
  assert.equal(created, true);
  assert.match(executionId, /^\{fp:0\}:[0-9a-f-]{36}$/);
  const info = await ff.getExecution(executionId);
  assert.ok(info.payload instanceof Uint8Array, "bytes come back as a Uint8Array");
  assert.deepEqual([...info.payload], [1, 2]);
  assert.equal(structuredClone(info).executionId, executionId, "results are structured-cloneable");
});

test("every rejection is a FlowFabricError with kind, code and retryable", async () => {
  const ff = await open();
  const error = await ff.claim({ workerId: 7 }).catch((e) => e);
  assert.ok(error instanceof FlowFabricError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "FlowFabricError");
  assert.deepEqual([error.kind, error.code, error.retryable], ["validation", "invalid_input", false]);
  assert.match(error.message, /workerId must be a string, got number 7/);
  assert.ok(!(new Error("plain") instanceof FlowFabricError));
  // tail() is a sync call: bad options reject its first next(), then it is done.
  const bad = ff.tail("x", 0);
  await assert.rejects(bad.next(), (e) => e instanceof FlowFabricError && /executionId/.test(e.message));
  assert.deepEqual(await bad.next(), { done: true, value: undefined });
  const badSignal = ff.tail("{fp:0}:00000000-0000-4000-8000-000000000000", 0, { signal: "stop" });
  await assert.rejects(badSignal.next(), /signal must be an AbortSignal/);
  await assert.rejects(ff.tail("{fp:0}:00000000-0000-4000-8000-000000000000", 0, { after: "start" }).next(), {
    code: "invalid_input",
  });
});

test("Symbol.asyncDispose closes the database (what `await using` calls)", async () => {
  const ff = await open();
  await ff.createExecution();
  await ff[Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")]();
  await assert.rejects(ff.createExecution(), { code: "closed" });
  await ff.close(); // idempotent
});

test("exportImage is a standard SQLite file: the sqlite3 CLI opens it and it passes integrity_check", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution({ payload: "x" });
  const handle = await ff.claim({ workerId: "w" });
  await ff.appendFrame(handle, { payload: "hello" });
  const image = await ff.exportImage();
  const dir = await mkdtemp(join(tmpdir(), "ff-image-"));
  const file = join(dir, "export.db");
  try {
    await writeFile(file, image);
    const run = (sql) => promisify(execFile)("sqlite3", [file, sql]).then((r) => r.stdout.trim());
    assert.equal(await run("PRAGMA integrity_check"), "ok");
    assert.equal(await run("SELECT count(*) FROM ff_exec_core"), "1");
    assert.equal(await run("SELECT json_extract(fields, '$.payload') FROM ff_stream_frame"), "hello");
    assert.equal(await run("SELECT lower(hex(execution_id)) FROM ff_exec_core"), executionId.slice(7).replaceAll("-", ""));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("an image whose schema is newer than this build is refused and left unchanged", async () => {
  const image = await (await open()).exportImage();
  new DataView(image.buffer, image.byteOffset).setUint32(60, 99); // PRAGMA user_version lives at byte 60
  const copy = image.slice();
  await assert.rejects(open({ image }), (e) =>
    e instanceof FlowFabricError && e.kind === "storage" && /version 99, newer/.test(e.message));
  assert.deepEqual(image, copy, "the caller's bytes are untouched");
});

test("concurrent operator cancels of one execution both succeed, once", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const handle = await ff.claim({ workerId: "w" });
  await Promise.all([ff.cancel(executionId, "a"), ff.cancel(executionId, "b")]);
  const info = await ff.getExecution(executionId);
  assert.equal(info.publicState, "cancelled");
  await assert.rejects(ff.complete(handle), { kind: "contention", code: "lease_conflict" });
  const stream = await ff.readStream(executionId, 0);
  assert.equal(stream.closedReason, "attempt_cancelled");
});

test("openInWorker refuses where there are no Web Workers", async () => {
  await assert.rejects(openInWorker(), { name: "FlowFabricError", code: "storage_unavailable" });
});

test("initSync accepts a compiled module, as workerd hands it over", async () => {
  const bytes = await readFile(new URL("../../dist/wasm/ff_backend_wasm_bg.wasm", import.meta.url));
  const module = await WebAssembly.compile(bytes);
  const fresh = await import(`../../js/index.js?fresh=${Date.now()}`);
  fresh.initSync({ module });
  const ff = await fresh.open();
  assert.equal((await ff.createExecution()).created, true);
});

test("the demo runs end to end and every execution ends as expected", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["www/demo.mjs"], {
    cwd: new URL("../..", import.meta.url),
  });
  assert.match(stdout, /demo finished: every execution ended as expected/);
  assert.match(stdout, /tail waiters left: 0/);
});
