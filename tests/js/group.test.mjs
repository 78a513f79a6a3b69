// groupCommit: the calls a callback makes share one transaction; each keeps its own outcome,
// and settles only after the commit; a callback that throws keeps nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, FlowFabricError } from "ff-backend-wasm";

async function started() {
  const ff = await open();
  const { executionId } = await ff.createExecution();
  return { ff, id: executionId, handle: await ff.claim({ workerId: "w" }) };
}

test("calls made inside groupCommit commit together and keep their own results", async () => {
  const { ff, id, handle } = await started();
  let calls = [];
  const returned = await ff.groupCommit(() => {
    calls = [
      ff.appendFrame(handle, { payload: "one" }),
      ff.appendFrame(handle, { payload: 5 }), // fails on its own
      ff.appendFrame(handle, { payload: "two" }),
      ff.createExecution({ lane: "other" }),
    ];
    return "done";
  });
  assert.equal(returned, "done");
  const outcomes = await Promise.allSettled(calls);
  assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  assert.ok(outcomes[1].reason instanceof FlowFabricError);
  assert.equal(outcomes[2].value.frameCount, 2);
  const { frames } = await ff.readStream(id, 0);
  assert.deepEqual(frames.map((f) => f.fields.payload), ["one", "two"]);
  assert.equal((await ff.listExecutions({ lane: "other" })).executions.length, 1);
});

test("a callback that throws keeps nothing: every call it made rejects", async () => {
  const { ff, id, handle } = await started();
  let calls = [];
  const error = await ff.groupCommit(() => {
    calls = [ff.appendFrame(handle, { payload: "lost" }), ff.createExecution()];
    throw new Error("changed my mind");
  }).catch((e) => e);
  assert.ok(error instanceof FlowFabricError);
  assert.match(error.message, /changed my mind/);
  for (const outcome of await Promise.allSettled(calls)) assert.equal(outcome.status, "rejected");
  assert.deepEqual((await ff.readStream(id, 0)).frames, []);
  assert.equal((await ff.listExecutions()).executions.length, 1);
});

test("tails wake after the group's commit, and see every frame of it", async () => {
  const { ff, id, handle } = await started();
  const seen = [];
  const reading = (async () => {
    for await (const frame of ff.tail(id, 0)) seen.push(frame.fields.payload);
  })();
  await new Promise((r) => setTimeout(r, 5));
  await ff.groupCommit(() => {
    for (let i = 0; i < 50; i++) ff.appendFrame(handle, { payload: `f${i}` });
    ff.complete(handle);
  });
  await reading;
  assert.equal(seen.length, 50);
  assert.equal(await ff.waiterCount(), 0);
});

test("groups do not nest; close, destroy and exportImage wait for the group to end", async () => {
  const { ff } = await started();
  let inner = [];
  await ff.groupCommit(() => {
    inner = [ff.groupCommit(() => {}), ff.close(), ff.destroy(), ff.exportImage()];
  });
  for (const outcome of await Promise.allSettled(inner)) {
    assert.equal(outcome.status, "rejected");
    assert.equal(outcome.reason.code, "invalid_input");
  }
  assert.ok((await ff.exportImage()).length > 0, "still open afterwards");
  await assert.rejects(ff.groupCommit("not a function"), { code: "invalid_input" });
});
