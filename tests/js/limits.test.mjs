// Resource limits in Node, on the module's own Backend: ten thousand tails and event iterators
// opened, left waiting and abandoned (never returned) are released once collected, leaving no
// waiter behind. Uses `global.gc` (`node --expose-gc`), or turns it on through V8's flags.
import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { open } from "ff-backend-wasm";

function collector() {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc");
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test("10,000 abandoned tails and event iterators leave no waiter once collected", async () => {
  const gc = collector();
  const ff = await open();
  const { executionId } = await ff.createExecution();
  const h = await ff.claim({ workerId: "w" });
  const MANY = 10_000;
  let kept = [];
  for (let i = 0; i < MANY; i++) {
    // Each parks a waiter: a next() nobody awaits, on an iterator kept only until below.
    const it = i % 3 === 0 ? ff.completions() : i % 3 === 1 ? ff.leaseHistory() : ff.tail(executionId, 0);
    it.next().catch(() => {});
    kept.push(it);
  }
  await tick(10);
  const parked = await ff.waiterCount();
  assert.equal(parked, MANY, "every iterator parked a waiter");
  kept = null; // abandoned: never returned, never aborted
  const deadline = Date.now() + 30_000;
  let left = parked;
  while (left > 0 && Date.now() < deadline) {
    gc();
    await tick(20);
    left = await ff.waiterCount();
  }
  assert.equal(left, 0, `${left} waiters left after collection`);
  // The backend still serves: a new tail sees the next frame and ends with the stream.
  const seen = [];
  const reading = (async () => {
    for await (const f of ff.tail(executionId, 0)) seen.push(f.fields.payload);
  })();
  await ff.appendFrame(h, { payload: "still here" });
  await ff.complete(h);
  await reading;
  assert.deepEqual(seen, ["still here"]);
  assert.equal(await ff.waiterCount(), 0);
});
