// Regression tests, through the public API, for the defects found in review: each names the
// defect it guards against.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, FlowFabricError } from "ff-backend-wasm";

/** A backend whose clock the test moves. */
async function withClock(start = 1_000_000) {
  const clock = { now: start };
  const ff = await open({ now: () => clock.now });
  return { ff, clock };
}

test("a crafted image with a negative schema version rejects with a storage error, never a trap", async () => {
  const image = await (await open()).exportImage();
  for (const version of [-1, -2147483648]) {
    const crafted = image.slice();
    new DataView(crafted.buffer).setInt32(60, version); // PRAGMA user_version: signed, big-endian
    const error = await open({ image: crafted }).catch((e) => e);
    assert.ok(error instanceof FlowFabricError, String(error));
    assert.equal(error.kind, "storage");
    assert.match(error.message, new RegExp(`version ${version}`));
  }
  // The instance is still alive: no RuntimeError took it down.
  assert.equal((await (await open()).createExecution()).created, true);
});

test("cancel after a lease expired ends a tail on the attempt the reclaim would run", async () => {
  const { ff, clock } = await withClock();
  const { executionId } = await ff.createExecution();
  await ff.claim({ workerId: "w", leaseTtlMs: 1000 });
  clock.now += 1000;
  assert.equal(await ff.reclaimExpired(), 1);
  const tail = (async () => {
    const frames = [];
    for await (const frame of ff.tail(executionId, 1)) frames.push(frame);
    return frames;
  })();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await ff.waiterCount(), 1);
  await ff.cancel(executionId, "operator");
  assert.deepEqual(await tail, []);
  assert.equal((await ff.readStream(executionId, 1)).closedReason, "attempt_cancelled");
  assert.equal(await ff.waiterCount(), 0);
});

test("failing at the reclaim cap ends a tail on the next attempt", async () => {
  const { ff, clock } = await withClock();
  const { executionId } = await ff.createExecution();
  await ff.claim({ workerId: "w", leaseTtlMs: 10 });
  for (let n = 1; n <= 100; n++) {
    clock.now += 10;
    assert.equal((await ff.claim({ workerId: "w", leaseTtlMs: 10 })).attemptIndex, n);
  }
  const tail = ff.tail(executionId, 101).next();
  clock.now += 10;
  await ff.reclaimExpired();
  assert.deepEqual(await tail, { done: true, value: undefined });
  assert.equal((await ff.getExecution(executionId)).publicState, "failed");
  assert.equal((await ff.readStream(executionId, 101)).closedReason, "attempt_failure");
});

test("a dead handle is reported as dead whatever else is wrong with the call", async () => {
  const ff = await open();
  await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  await ff.complete(h);
  const cases = [
    [() => ff.appendFrame(h, { payload: 5 }), "state", "stream_closed"],
    [() => ff.appendFrame(h, { payload: "x", mode: "loud" }), "state", "stream_closed"],
    [() => ff.appendFrame(h, "not a frame"), "state", "stream_closed"],
    [() => ff.fail(h, {}), "contention", "execution_not_active"],
    [() => ff.progress(h, { percent: "50" }), "contention", "execution_not_active"],
    [() => ff.complete(h, 42), "contention", "execution_not_active"],
    [() => ff.cancel(h, 42), "contention", "execution_not_active"],
  ];
  for (const [call, kind, code] of cases) {
    await assert.rejects(call(), (e) => e instanceof FlowFabricError && e.kind === kind && e.code === code, call.toString());
  }
  // A live handle with the same bad arguments still gets the validation error.
  await ff.createExecution();
  const live = await ff.claim({ workerId: "w" });
  await assert.rejects(ff.appendFrame(live, { payload: 5 }), { kind: "validation", code: "invalid_input" });
});

test("cancel with a bare token cancels as the lease holder", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  await ff.cancel(h.token, "from the worker");
  const info = await ff.getExecution(executionId);
  assert.equal(info.publicState, "cancelled");
  await assert.rejects(ff.appendFrame(h.token, { payload: "x" }), { code: "lease_conflict" });
});

test("no error message contains a handle token, whatever argument the token was passed as", async () => {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  const token = h.token;
  await ff.complete(h);
  const forged = token.slice(0, -8) + "AAAAAAA=";
  const calls = [
    () => ff.getExecution(token),
    () => ff.readStream(token, 0),
    () => ff.readStream(executionId, 0, { from: token }),
    () => ff.readSummary(token, 0),
    () => ff.tailStream(executionId, 0, { after: token }),
    () => ff.tail(token, 0).next(),
    () => ff.cancel(token),
    () => ff.cancel(token.slice(0, 40)),
    () => ff.renew(forged),
    () => ff.renew(token.slice(0, 60)),
    () => ff.appendFrame(token, { payload: "x" }),
    () => ff.createExecution({ executionId: token }),
    () => ff.createExecution({ lane: token + "\n" }),
    () => ff.claim({ workerId: token + "\u0000" }),
    () => ff.listExecutions({ after: token }),
    () => ff.completions({ after: token }).next(),
    () => ff.leaseHistory({ executionId: token }).next(),
    () => ff.fail(h, { message: "m", classification: token }),
  ];
  for (const call of calls) {
    const error = await call().then(() => null, (e) => e);
    assert.ok(error instanceof FlowFabricError, `${call}: expected a rejection`);
    for (let i = 0; i + 16 <= token.length; i += 8) {
      assert.ok(!error.message.includes(token.slice(i, i + 16)), `${call} leaks the token: ${error.message}`);
    }
  }
});

test("best-effort appends never delete durable frames", async () => {
  // A still clock: the rate estimate stays at zero, so the trim keeps its floor of 64.
  const ff = await open({ now: () => 1_000_000 });
  const { executionId } = await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  for (let i = 0; i < 300; i++) await ff.appendFrame(h, { payload: `durable ${i}` });
  for (let i = 0; i < 100; i++) await ff.appendFrame(h, { payload: `be ${i}`, mode: { bestEffort: { ttlMs: 60_000 } } });
  const { frames } = await ff.readStream(executionId, 0, { limit: 1000 });
  assert.equal(frames.filter((f) => f.mode === "durable").length, 300);
  assert.equal(frames.filter((f) => f.mode === "best_effort").length, 64, "trimmed among themselves");
});

test("errors are real FlowFabricError instances, not look-alikes", async () => {
  const ff = await open();
  const error = await ff.getExecution(7).catch((e) => e);
  assert.equal(Object.getPrototypeOf(error), FlowFabricError.prototype);
  const lookalike = Object.assign(new Error("x"), { name: "FlowFabricError" });
  assert.ok(!(lookalike instanceof FlowFabricError));
});

test("the last token is reused only while the same token comes back, and the fence still runs", async () => {
  const ff = await open();
  await ff.createExecution({ lane: "t" });
  await ff.createExecution({ lane: "t" });
  const a = await ff.claim({ lane: "t", workerId: "w", leaseTtlMs: 60_000 });
  const b = await ff.claim({ lane: "t", workerId: "w", leaseTtlMs: 60_000 });
  await ff.appendFrame(a, { payload: "a1" });
  await ff.appendFrame(b, { payload: "b1" });
  await ff.appendFrame(a, { payload: "a2" });
  // The call follows the token, whatever object carries it and whenever it changes.
  const carrier = { ...a };
  await ff.appendFrame(carrier, { payload: "a3" });
  carrier.token = b.token;
  await ff.appendFrame(carrier, { payload: "b2" });
  await ff.appendFrame(b.token, { payload: "b3" });
  const payloads = async (h) => (await ff.readStream(h.executionId, h.attemptIndex)).frames.map((f) => f.fields.payload);
  assert.deepEqual(await payloads(a), ["a1", "a2", "a3"]);
  assert.deepEqual(await payloads(b), ["b1", "b2", "b3"]);
  // The token used last, once its attempt has ended, is refused: only its decoding was kept.
  await ff.appendFrame(a, { payload: "a4" });
  await ff.complete(a);
  const error = await ff.appendFrame(a, { payload: "a5" }).catch((e) => e);
  assert.ok(error instanceof FlowFabricError, String(error));
  assert.equal(error.code, "stream_closed");
  assert.deepEqual(await payloads(a), ["a1", "a2", "a3", "a4"]);
});
