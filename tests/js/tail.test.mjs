// `tail()` as an async iterator through the package entry: ordering, closing, early exit,
// abort, and a 1,000-tail fan-out, with the waiter registry checked after each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "ff-backend-wasm";

async function started(ff) {
  await ff.createExecution();
  const handle = await ff.claim({ workerId: "w1" });
  return { ff, handle, id: handle.executionId };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test("for await yields every frame after `after` in order and ends at close", async () => {
  const { ff, handle, id } = await started(await open());
  const first = await ff.appendFrame(handle, { payload: "before" });
  const seen = [];
  const reading = (async () => {
    for await (const frame of ff.tail(id, 0)) seen.push(frame.fields.payload);
  })();
  await tick(5);
  for (const p of ["a", "b", "c"]) await ff.appendFrame(handle, { payload: p });
  await ff.complete(handle);
  await reading;
  assert.deepEqual(seen, ["before", "a", "b", "c"]);
  const after = [];
  for await (const frame of ff.tail(id, 0, { after: first.id })) after.push(frame.fields.payload);
  assert.deepEqual(after, ["a", "b", "c"]);
  assert.equal(await ff.waiterCount(), 0);
});

test("a tail of a stream that never had frames ends when its attempt ends", async () => {
  const { ff, handle, id } = await started(await open());
  const reading = (async () => {
    const out = [];
    for await (const f of ff.tail(id, 0)) out.push(f);
    return out;
  })();
  await tick(5);
  await ff.fail(handle, { message: "gave up", classification: "permanent" });
  assert.deepEqual(await reading, []);
});

test("break releases the waiter at once", async () => {
  const { ff, handle, id } = await started(await open());
  await ff.appendFrame(handle, { payload: "one" });
  for await (const frame of ff.tail(id, 0)) {
    assert.equal(frame.fields.payload, "one");
    break;
  }
  assert.equal(await ff.waiterCount(), 0);
  const it = ff.tail(id, 0, { after: "0-0" });
  await it.next();
  const pending = it.next();
  await tick(5);
  assert.equal(await ff.waiterCount(), 1);
  assert.deepEqual(await it.return(), { done: true, value: undefined });
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.equal(await ff.waiterCount(), 0);
});

test("aborting the signal rejects a pending next() with AbortError and frees the waiter", async () => {
  const { ff, id } = await started(await open());
  const controller = new AbortController();
  const it = ff.tail(id, 0, { signal: controller.signal });
  const pending = it.next();
  await tick(5);
  assert.equal(await ff.waiterCount(), 1);
  controller.abort();
  await assert.rejects(pending, (e) => e instanceof DOMException && e.name === "AbortError");
  assert.equal(await ff.waiterCount(), 0);
  await assert.rejects(it.next(), { name: "AbortError" });

  const already = AbortSignal.abort();
  await assert.rejects(ff.tail(id, 0, { signal: already }).next(), { name: "AbortError" });
  assert.equal(await ff.waiterCount(), 0);
});

test("a thousand tails on one stream each receive every frame, and nothing leaks", async () => {
  const { ff, handle, id } = await started(await open());
  const tails = Array.from({ length: 1000 }, async () => {
    const got = [];
    for await (const frame of ff.tail(id, 0)) got.push(frame.fields.payload);
    return got;
  });
  await tick(20);
  assert.equal(await ff.waiterCount(), 1000);
  const payloads = Array.from({ length: 20 }, (_, i) => `frame ${i}`);
  for (const p of payloads) await ff.appendFrame(handle, { payload: p });
  await ff.complete(handle);
  for (const got of await Promise.all(tails)) assert.deepEqual(got, payloads);
  assert.equal(await ff.waiterCount(), 0);
});

test("hundreds of tails on different streams run while other calls proceed", async () => {
  const ff = await open();
  const streams = [];
  for (let i = 0; i < 10; i++) streams.push(await started(ff));
  const tails = streams.flatMap(({ id }, i) =>
    Array.from({ length: 30 }, async () => {
      const got = [];
      for await (const f of ff.tail(id, 0)) got.push(f.fields.payload);
      return { i, got };
    }),
  );
  await tick(10);
  assert.equal(await ff.waiterCount(), 300);
  for (let round = 0; round < 3; round++) {
    for (const [i, { handle }] of streams.entries()) {
      await ff.appendFrame(handle, { payload: `s${i}-r${round}` });
      await ff.createExecution();
      await ff.readStream(handle.executionId, 0);
    }
  }
  for (const { handle } of streams) await ff.complete(handle);
  for (const { i, got } of await Promise.all(tails)) {
    assert.deepEqual(got, [0, 1, 2].map((r) => `s${i}-r${r}`));
  }
  assert.equal(await ff.waiterCount(), 0);
});

test("closing the database ends waiting tails with state/closed", async () => {
  const { ff, id } = await started(await open());
  const it = ff.tail(id, 0);
  const pending = it.next();
  await tick(5);
  await ff.close();
  await assert.rejects(pending, { name: "FlowFabricError", kind: "state", code: "closed" });
  assert.equal(await ff.waiterCount(), 0);
});
