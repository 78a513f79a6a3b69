// The package's lifecycle, streams, tail and errors, written for any runtime: Node, Deno and
// Bun run this same file (`node tests/runtimes/package.mjs`, `deno run -A ...`, `bun ...`).
// It imports the package by name and prints `# pass N` / `# fail N` like the other suites.
import assert from "node:assert/strict";
import { open, FlowFabricError, Backend } from "ff-backend-wasm";

const runtime = globalThis.Deno ? `Deno ${Deno.version.deno}` : globalThis.Bun ? `Bun ${Bun.version}` : `Node ${process.versions.node}`;
const cases = [];
const test = (name, run) => cases.push({ name, run });
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function started(options) {
  const ff = await open(options);
  const { executionId } = await ff.createExecution({ payload: "work" });
  return { ff, id: executionId, handle: await ff.claim({ workerId: "w" }) };
}

test("lifecycle: create, claim, progress, complete, read back", async () => {
  const { ff, id, handle } = await started();
  assert.ok(ff instanceof Backend);
  assert.equal(handle.kind, "fresh");
  await ff.progress(handle, { percent: 50, message: "half" });
  await ff.complete(handle, new Uint8Array([1, 2, 3]));
  const info = await ff.getExecution(id);
  assert.equal(info.publicState, "completed");
  assert.ok(info.result instanceof Uint8Array);
  assert.deepEqual([...info.result], [1, 2, 3]);
  assert.deepEqual(info.progress, { percent: 50, message: "half" });
});

test("retries with backoff, then cancel", async () => {
  const clock = { now: 1_000_000 };
  const ff = await open({ now: () => clock.now });
  const { executionId } = await ff.createExecution({ retryPolicy: { maxRetries: 1, backoff: { type: "fixed", delayMs: 500 } } });
  const h = await ff.claim({ workerId: "w" });
  const outcome = await ff.fail(h, { message: "flaky" });
  assert.deepEqual(outcome, { outcome: "retry_scheduled", delayUntilMs: 1_000_500, nextAttemptIndex: 1 });
  assert.equal(await ff.claim({ workerId: "w" }), null, "not before the backoff");
  clock.now += 500;
  const again = await ff.claim({ workerId: "w" });
  assert.equal(again.attemptIndex, 1);
  await ff.cancel(executionId, "enough");
  assert.equal((await ff.getExecution(executionId)).publicState, "cancelled");
  await assert.rejects(ff.complete(again), { code: "lease_conflict" });
});

test("streams: frames in order, pages, summary patches, binary payloads", async () => {
  const { ff, id, handle } = await started();
  for (let i = 0; i < 5; i++) await ff.appendFrame(handle, { payload: `line ${i}` });
  await ff.appendFrame(handle, { payload: '{"pct":10}', mode: "summary" });
  await ff.appendFrame(handle, { payload: '{"pct":90,"ok":true}', mode: "summary" });
  await ff.appendFrame(handle, { payload: new Uint8Array([0xff, 0x00]), kind: "blob" });
  const page = await ff.readStream(id, 0, { limit: 3 });
  assert.deepEqual(page.frames.map((f) => f.fields.payload), ["line 0", "line 1", "line 2"]);
  const all = await ff.readStream(id, 0, { limit: 100 });
  assert.equal(all.frames.length, 8);
  assert.equal(all.frames[7].fields.encoding, "base64");
  const summary = await ff.readSummary(id, 0);
  assert.deepEqual([summary.document, summary.version], [{ pct: 90, ok: true }, 2]);
});

test("tail: for await until the stream closes, break releases, an abort rejects", async () => {
  const { ff, id, handle } = await started();
  const seen = [];
  const reading = (async () => {
    for await (const frame of ff.tail(id, 0)) seen.push(frame.fields.payload);
  })();
  await tick(5);
  for (const p of ["a", "b", "c"]) await ff.appendFrame(handle, { payload: p });
  await ff.complete(handle);
  await reading;
  assert.deepEqual(seen, ["a", "b", "c"]);
  for await (const frame of ff.tail(id, 0)) {
    assert.equal(frame.fields.payload, "a");
    break;
  }
  assert.equal(await ff.waiterCount(), 0);
  const other = await started();
  const controller = new AbortController();
  const pending = other.ff.tail(other.id, 0, { signal: controller.signal }).next();
  await tick(5);
  controller.abort();
  await assert.rejects(pending, { name: "AbortError" });
  assert.equal(await other.ff.waiterCount(), 0);
});

test("errors: FlowFabricError with kind, code, retryable; a dead handle first; no token in messages", async () => {
  const { ff, handle } = await started();
  const error = await ff.claim({ workerId: 7 }).catch((e) => e);
  assert.ok(error instanceof FlowFabricError);
  assert.deepEqual([error.kind, error.code, error.retryable], ["validation", "invalid_input", false]);
  await ff.complete(handle);
  await assert.rejects(ff.appendFrame(handle, { payload: 5 }), { kind: "state", code: "stream_closed" });
  const leak = await ff.getExecution(handle.token).catch((e) => e);
  assert.ok(!leak.message.includes(handle.token.slice(8, 40)));
  await ff.close();
  await assert.rejects(ff.createExecution(), { kind: "state", code: "closed" });
});

test("completions: replay from \"0\"", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  await ff.cancel(executionId);
  for await (const event of ff.completions({ after: "0" })) {
    assert.deepEqual([event.executionId, event.outcome], [executionId, "cancelled"]);
    break;
  }
});

let passed = 0;
let failed = 0;
for (const { name, run } of cases) {
  try {
    await run();
    passed++;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(error?.stack ?? error).split("\n").join("\n  ")}`);
  }
}
console.log(`# ${runtime}\n# pass ${passed}\n# fail ${failed}`);
if (failed) throw new Error(`${failed} failed`);
