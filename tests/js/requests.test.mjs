// Exactly-once tab calls (docs/API.md, "Many tabs, one database"): the leader runs each tab
// call through the Backend's `__asRequest(client, seq, acked, run)`. Delivered twice (as after
// a change of leader), a call has one effect and returns the same outcome.
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, FlowFabricError } from "ff-backend-wasm";
import { runtimeMethods } from "../e2e/surface.mjs";

test("the same (client, seq) delivered twice has one effect and returns the same result", async () => {
  const ff = await open();
  const as = (seq, run) => ff.__asRequest("tab-1", seq, 1, run);
  const created = await as(1, () => ff.createExecution({ lane: "once" }));
  assert.deepEqual(await as(1, () => ff.createExecution({ lane: "once" })), created);
  assert.equal((await ff.listExecutions({ lane: "once" })).executions.length, 1);

  const handle = await as(2, () => ff.claim({ workerId: "w", lane: "once" }));
  assert.deepEqual(await as(2, () => ff.claim({ workerId: "w", lane: "once" })), handle, "the same handle, token included");
  const appended = await as(3, () => ff.appendFrame(handle, { payload: "one" }));
  assert.deepEqual(await as(3, () => ff.appendFrame(handle, { payload: "one" })), appended);
  assert.equal(await as(4, () => ff.complete(handle, "done")), undefined);
  assert.equal(await as(4, () => ff.complete(handle, "done")), undefined, "recorded as done, not run again");
  const { frames, closedReason } = await ff.readStream(created.executionId, 0);
  assert.deepEqual([frames.map((f) => f.fields.payload), closedReason], [["one"], "attempt_success"]);
  // Another tab's seq 3 is another call.
  await ff.__asRequest("tab-2", 3, 0, () => ff.createExecution({ lane: "once" }));
  assert.equal((await ff.listExecutions({ lane: "once" })).executions.length, 2);
  await ff.close();
});

test("inside a group commit too; a rolled-back group records nothing; errors come back as FlowFabricErrors", async () => {
  const ff = await open();
  let calls = [];
  await ff.groupCommit(() => {
    calls = [1, 2].map((seq) => ff.__asRequest("tab", seq, 1, () => ff.createExecution({ lane: "g" })));
    // The same call again within the group: its record is already there.
    calls.push(ff.__asRequest("tab", 2, 1, () => ff.createExecution({ lane: "g" })));
  });
  const [first, second, again] = await Promise.all(calls);
  assert.notEqual(first.executionId, second.executionId);
  assert.deepEqual(again, second);
  assert.equal((await ff.listExecutions({ lane: "g" })).executions.length, 2);

  const thrown = ff.groupCommit(() => {
    calls = [ff.__asRequest("tab", 3, 1, () => ff.createExecution({ lane: "never" }))];
    throw new Error("no");
  });
  await assert.rejects(thrown);
  await assert.rejects(calls[0]);
  const later = await ff.__asRequest("tab", 3, 1, () => ff.createExecution({ lane: "never" }));
  assert.equal(later.created, true, "nothing was recorded: delivered again, the call runs");

  // A handle operation that fails changes nothing and is not recorded: it fails the same way.
  const fail = () => ff.__asRequest("tab", 5, 1, () => ff.complete("not a token"));
  const error = await fail().catch((e) => e);
  assert.ok(error instanceof FlowFabricError);
  assert.deepEqual([error.kind, error.code], ["validation", "corruption"]);
  assert.deepEqual(await fail().catch((e) => e.code), "corruption");
  await assert.rejects(ff.__asRequest("", 1, 0, () => ff.createExecution()), { code: "invalid_input" });
  await assert.rejects(ff.__asRequest("tab", 1.5, 0, () => ff.createExecution()), { code: "invalid_input" });
  await ff.close();
});

test("the tab plumbing is not part of the API surface; outbox heads say where 'from now' starts", async () => {
  const ff = await open();
  assert.ok(runtimeMethods(ff).every((name) => !name.startsWith("__")));
  assert.deepEqual(await ff.__outboxHeads(), { completions: "0", leaseHistory: "0" });
  const { executionId } = await ff.createExecution();
  await ff.cancel(executionId);
  const heads = await ff.__outboxHeads();
  const events = ff.completions({ after: "0" });
  assert.equal((await events.next()).value.cursor, heads.completions);
  await events.return();
  assert.equal(await ff.__forgetRequests(Date.now() + 1), 0);
  await ff.close();
});
