// listExecutions, completions() and leaseHistory() through the package: pages and cursors,
// replay / resume / from now, filters, abort, a thousand followers, and no waiter left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, FlowFabricError } from "ff-backend-wasm";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Takes `n` items from an iterator, then stops it. */
async function take(iterator, n) {
  const out = [];
  for await (const item of iterator) {
    out.push(item);
    if (out.length === n) break;
  }
  return out;
}

test("listExecutions pages in creation order and stays stable under inserts", async () => {
  const ff = await open();
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await ff.createExecution({ priority: i })).executionId);
  const first = await ff.listExecutions({ limit: 2 });
  assert.deepEqual(first.executions.map((e) => e.executionId), ids.slice(0, 2));
  assert.equal(typeof first.nextCursor, "string");
  const late = (await ff.createExecution()).executionId;
  const rest = await ff.listExecutions({ after: first.nextCursor, limit: 100 });
  assert.deepEqual(rest.executions.map((e) => e.executionId), [...ids.slice(2), late]);
  assert.equal(rest.nextCursor, null);
  const info = rest.executions[0];
  assert.deepEqual(info, await ff.getExecution(info.executionId), "each entry is what getExecution returns");
  assert.deepEqual((await ff.listExecutions()).executions.length, 6, "options are optional");
});

test("listExecutions filters by lane and public state, and refuses bad options", async () => {
  const ff = await open();
  const gpu = (await ff.createExecution({ lane: "gpu" })).executionId;
  const cpu = (await ff.createExecution()).executionId;
  await ff.cancel(cpu);
  const ids = async (o) => (await ff.listExecutions(o)).executions.map((e) => e.executionId);
  assert.deepEqual(await ids({ lane: "gpu" }), [gpu]);
  assert.deepEqual(await ids({ publicState: "cancelled" }), [cpu]);
  assert.deepEqual(await ids({ lane: "gpu", publicState: "cancelled" }), []);
  for (const bad of [{ limit: 0 }, { limit: 1001 }, { after: "nope" }, { publicState: "running" }, { lane: 5 }]) {
    await assert.rejects(ff.listExecutions(bad), (e) => e instanceof FlowFabricError && e.code === "invalid_input");
  }
});

test("completions: from now, replay from \"0\", resume after a cursor; cancel included, once each", async () => {
  const ff = await open();
  const early = (await ff.createExecution()).executionId;
  await ff.cancel(early);
  const fromNow = ff.completions();
  const replay = ff.completions({ after: "0" });
  const done = (await ff.createExecution({ priority: 1 })).executionId;
  const h = await ff.claim({ workerId: "w" });
  await ff.complete(h, "ok");
  const failed = (await ff.createExecution({ retryPolicy: { maxRetries: 0 } })).executionId;
  await ff.fail(await ff.claim({ workerId: "w" }), { message: "no" });
  const all = await take(replay, 3);
  assert.deepEqual(all.map((e) => [e.executionId, e.outcome]), [[early, "cancelled"], [done, "success"], [failed, "failed"]]);
  assert.deepEqual((await take(fromNow, 2)).map((e) => e.executionId), [done, failed]);
  const resumed = await take(ff.completions({ after: all[0].cursor }), 2);
  assert.deepEqual(resumed.map((e) => e.executionId), [done, failed]);
  assert.deepEqual(Object.keys(all[1]).sort(), ["atMs", "cursor", "executionId", "lane", "namespace", "outcome"]);
  assert.equal(await ff.waiterCount(), 0);
});

test("completions wait without polling and wake after commit; filters by lane and namespace", async () => {
  const ff = await open();
  const byLane = ff.completions({ lane: "gpu" });
  const byNamespace = ff.completions({ namespace: "tenant-a" });
  const laneNext = byLane.next();
  const nsNext = byNamespace.next();
  await tick(5);
  assert.equal(await ff.waiterCount(), 2);
  const a = (await ff.createExecution({ lane: "gpu" })).executionId;
  const b = (await ff.createExecution({ namespace: "tenant-a" })).executionId;
  await ff.cancel(a);
  await ff.cancel(b);
  assert.equal((await laneNext).value.executionId, a);
  assert.equal((await nsNext).value.executionId, b);
  await byLane.return();
  await byNamespace.return();
  assert.equal(await ff.waiterCount(), 0);
});

test("leaseHistory reports attempt, epoch and event, per execution", async () => {
  const clock = { now: 5_000_000 };
  const ff = await open({ now: () => clock.now });
  const { executionId } = await ff.createExecution();
  const history = ff.leaseHistory({ after: "0", executionId });
  const h = await ff.claim({ workerId: "w", leaseTtlMs: 1000 });
  await ff.renew(h);
  clock.now += 1000;
  const h2 = await ff.claim({ workerId: "w2" });
  await ff.complete(h2);
  const events = await take(history, 5);
  assert.deepEqual(
    events.map((e) => [e.event, e.attemptIndex, e.leaseEpoch]),
    [["acquired", 0, 1], ["renewed", 0, 1], ["expired", 0, 1], ["reclaimed", 1, 2], ["revoked", 1, 2]],
  );
  assert.ok(events.every((e) => e.executionId === executionId && typeof e.cursor === "string"));
  assert.equal(events[0].atMs, 5_000_000);
});

test("an aborted signal rejects a pending next() of an event iterator and frees its waiter", async () => {
  const ff = await open();
  for (const make of [(signal) => ff.completions({ signal }), (signal) => ff.leaseHistory({ signal })]) {
    const controller = new AbortController();
    const pending = make(controller.signal).next();
    await tick(5);
    assert.equal(await ff.waiterCount(), 1);
    controller.abort();
    await assert.rejects(pending, { name: "AbortError" });
    assert.equal(await ff.waiterCount(), 0);
  }
  await assert.rejects(ff.completions({ after: "x" }).next(), { code: "invalid_input" });
  await assert.rejects(ff.leaseHistory({ signal: {} }).next(), /AbortSignal/);
});

test("a thousand completion followers each see every event, and none is left behind", async () => {
  const ff = await open();
  const followers = Array.from({ length: 1000 }, () => take(ff.completions(), 3));
  await tick(20);
  assert.equal(await ff.waiterCount(), 1000);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const { executionId } = await ff.createExecution();
    ids.push(executionId);
    await ff.cancel(executionId);
  }
  for (const seen of await Promise.all(followers)) assert.deepEqual(seen.map((e) => e.executionId), ids);
  assert.equal(await ff.waiterCount(), 0);
});

test("closing the database ends waiting event iterators with state/closed", async () => {
  const ff = await open();
  const pending = ff.leaseHistory().next();
  await tick(5);
  await ff.close();
  await assert.rejects(pending, { name: "FlowFabricError", kind: "state", code: "closed" });
});
