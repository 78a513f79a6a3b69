// Many tabs, one database (docs/API.md, "Many tabs, one database"), in headless Chromium:
// pages of one browser context open the same OPFS database with openInWorker; one tab's worker
// leads, the others follow. The failover runs are tests/js/failover-*.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { runtimeMethods } from "../e2e/surface.mjs";
import { open } from "ff-backend-wasm";
import {
  launch, shutdown, problems, fresh, newTab, openIn, call, callError, follow, followed, until,
} from "../e2e/tabs-driver.mjs";

before(launch);
after(async () => {
  assert.deepEqual(problems, []);
  await shutdown();
});

test("two, then three tabs share one database: one leader, each tab's tail sees every tab's appends", async () => {
  const name = fresh("share");
  const [a, b, c] = [await newTab(), await newTab(), await newTab()];
  const ra = await openIn(a, name);
  const rb = await openIn(b, name);
  assert.deepEqual([ra.role, rb.role, rb.leader], ["leader", "follower", ra.tab]);

  const { executionId } = await call(a, "createExecution", { payload: "shared" });
  const handle = await call(b, "claim", { workerId: "tab-b" });
  assert.equal(handle.executionId, executionId, "a follower claims what the leader's tab created");
  await follow(a, "tail", "tail", executionId, 0);
  await follow(b, "tail", "tail", executionId, 0);
  await follow(b, "leases", "leaseHistory", { after: "0", executionId });
  await follow(a, "completions", "completions");
  await call(a, "appendFrame", handle, { payload: "from a" });
  await call(b, "appendFrame", handle, { payload: "from b" });
  await until(async () => (await followed(a, "tail")).items.length === 2, "a's tail to see b's append");

  const rc = await openIn(c, name);
  assert.deepEqual([rc.role, rc.leader], ["follower", ra.tab]);
  await follow(c, "tail", "tail", executionId, 0);
  await call(c, "appendFrame", handle.token, { payload: "from c" });
  await call(c, "complete", handle);
  const expected = ["from a", "from b", "from c"];
  for (const page of [a, b, c]) {
    const tail = await until(async () => ((await followed(page, "tail")).done ? followed(page, "tail") : null), "tails to end");
    assert.deepEqual(tail.items.map(([, payload]) => payload), expected);
  }
  const completions = await until(async () => (await followed(a, "completions")).items, "the completion");
  assert.deepEqual(completions.map(([, id, outcome]) => [id, outcome]), [[executionId, "success"]]);
  assert.deepEqual((await followed(b, "leases")).items.map(([, , event]) => event), ["acquired", "revoked"]);

  // The whole API from a follower: the same methods, errors as FlowFabricErrors, results of
  // every kind (bytes too), groupCommit, and the leader's waiter count.
  assert.deepEqual(await c.evaluate(() => window.tabs.methods()), runtimeMethods(await open()));
  const error = await callError(c, "complete", handle);
  assert.deepEqual([error.isFlowFabricError, error.kind, error.code, error.retryable], [true, "contention", "execution_not_active", true]);
  assert.deepEqual(await c.evaluate(() => window.tabs.group(2)), ["fulfilled", "fulfilled"]);
  assert.equal((await call(b, "listExecutions", { lane: "grouped" })).executions.length, 2);
  const image = await c.evaluate(() => window.tabs.call("exportImage").then((bytes) => [bytes instanceof Uint8Array, bytes.length]));
  assert.equal(image[0], true);
  assert.ok(image[1] > 4096);
  await follow(c, "waiting", "tail", (await call(c, "createExecution")).executionId, 0);
  // c's new tail, a's completions and b's lease history wait at the leader.
  await until(async () => (await call(b, "waiterCount")) === 3, "three waiters");
  for (const page of [c, b, a]) await page.evaluate(() => window.tabs.close());
  await Promise.all([a.close(), b.close(), c.close()]);
});

test("a follower tab that goes away takes its waiters at the leader with it", async () => {
  const name = fresh("gone");
  const [a, b] = [await newTab(), await newTab()];
  await openIn(a, name);
  await openIn(b, name);
  const { executionId } = await call(a, "createExecution");
  await follow(b, "tail", "tail", executionId, 0);
  await follow(b, "events", "completions");
  await until(async () => (await call(a, "waiterCount")) === 2, "b's two waiters at the leader");
  await b.close(); // no close() call: the tab just goes
  await until(async () => (await call(a, "waiterCount")) === 0, "the leader to drop them");
  await a.close();
});

test("without Web Locks, tabs do not share: the second gets a clear storage_busy, never a second database", async () => {
  const name = fresh("nolocks");
  const page = await newTab();
  assert.equal((await openIn(page, name, { noLocks: true })).role, "exclusive");
  const second = await page.evaluate((n) => window.tabs.openError(n), name);
  assert.deepEqual([second.isFlowFabricError, second.code, second.retryable], [true, "storage_busy", true]);
  assert.match(second.message, /navigator\.locks/);

  // A tab that can share waits for a leader while the database is held without sharing, up to
  // leaderWaitMs, then rejects with a retryable storage_busy.
  const other = await newTab();
  const started = Date.now();
  const waited = await other.evaluate((n) => window.tabs.openError(n, { leaderWaitMs: 400 }), name);
  const elapsed = Date.now() - started;
  assert.deepEqual([waited.code, waited.retryable], ["storage_busy", true], waited.message);
  assert.ok(elapsed >= 400 && elapsed < 10_000, `waited ${elapsed} ms`);
  // Once the holder lets go, sharing works.
  await page.evaluate(() => window.tabs.close());
  assert.equal((await openIn(other, name)).role, "leader");
  await Promise.all([page.close(), other.close()]);
});

test("destroy() from any tab empties the database for every tab, whose iterators end", async () => {
  const name = fresh("destroy");
  const [a, b, c] = [await newTab(), await newTab(), await newTab()];
  for (const page of [a, b, c]) await openIn(page, name);
  const { executionId } = await call(a, "createExecution");
  await follow(a, "tail", "tail", executionId, 0);
  await follow(c, "completions", "completions");
  await until(async () => (await call(a, "waiterCount")) === 2, "both iterators to wait at the leader");
  // From a follower: the leader deletes the files and opens the database again, empty.
  await call(b, "destroy");
  assert.deepEqual((await callError(b, "getExecution", executionId)).code, "closed", "b's backend is closed");
  for (const [page, key] of [[a, "tail"], [c, "completions"]]) {
    await until(async () => (await followed(page, key)).done, `${key} to end`);
  }
  assert.equal((await call(c, "listExecutions")).executions.length, 0);
  const again = (await call(c, "createExecution")).executionId;
  assert.equal((await call(a, "getExecution", again)).executionId, again, "the tabs go on, on the empty database");
  // From the leader: it steps down after deleting; the next tab leads the empty database.
  await call(a, "destroy");
  const led = await until(async () => {
    const now = await c.evaluate(() => window.tabs.leadership());
    return now.role === "leader" && now;
  }, "c to lead");
  assert.equal(led.leader, led.tab);
  assert.equal((await call(c, "listExecutions")).executions.length, 0);
  await c.evaluate(() => window.tabs.close());
  await Promise.all([a.close(), b.close(), c.close()]);
});

