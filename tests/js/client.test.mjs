// The calling side of a tab sharing a database (js/client.js), against hand-driven leaders:
// what it sends, what it sends again when the leader changes, and when it gives up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../js/client.js";
import { FlowFabricError } from "ff-backend-wasm";

/** A leader that records what it is sent and answers when told. */
function leader(term) {
  const sent = [];
  return { sent, route: { term, leader: term, send: (msg) => sent.push(structuredClone(msg)) } };
}
const reply = (client, msg, value) => client.onReply({ seq: msg.seq, ok: true, value });

test("calls wait for a leader; one that never came rejects storage_busy after the wait, marked not applied", async () => {
  const client = new Client({ waitMs: 60 });
  const started = performance.now();
  const error = await client.call("claim", [{ workerId: "w" }]).catch((e) => e);
  assert.ok(error instanceof FlowFabricError);
  assert.deepEqual([error.code, error.retryable], ["storage_busy", true]);
  assert.match(error.message, /it was not applied/);
  assert.ok(performance.now() - started >= 55);
  await assert.rejects(client.ready(), { code: "storage_busy" });
});

test("a leader change sends every unanswered call again, in order, with the same seq; old replies still count once", async () => {
  const client = new Client({ waitMs: 10_000 });
  const first = leader("t1");
  client.setRoute(first.route);
  await client.ready();
  const calls = [client.call("createExecution", []), client.call("appendFrame", ["token", { payload: "x" }])];
  const group = client.group([{ method: "createExecution", args: [] }, { method: "claim", args: [{}] }]);
  assert.deepEqual(first.sent.map((m) => [m.t, m.seq, m.acked]), [["call", 1, 1], ["call", 2, 1], ["group", 3, 1]]);
  assert.deepEqual(first.sent[2].calls.map((c) => c.seq), [4, 5], "a group's calls come after its own seq");
  reply(client, first.sent[0], "created");
  client.clearRoute("t1");
  const second = leader("t2");
  client.setRoute(second.route);
  assert.deepEqual(second.sent.map((m) => [m.seq, m.acked]), [[2, 2], [3, 2]], "only the unanswered, acked past the answered");
  reply(client, first.sent[1], "from the old leader"); // it ran there after all: that is the outcome
  reply(client, second.sent[0], "from the new leader (a recorded outcome: the same)");
  reply(client, second.sent[1], [{ ok: true, value: 1 }, { ok: true, value: 2 }]);
  assert.deepEqual(await Promise.all([...calls, group]), ["created", "from the old leader", [{ ok: true, value: 1 }, { ok: true, value: 2 }]]);
  client.end();
});

test("a call sent to a leader that went away rejects after the wait as maybe applied; end() rejects the rest closed", async () => {
  const client = new Client({ waitMs: 50 });
  const gone = leader("t1");
  client.setRoute(gone.route);
  const lost = client.call("complete", ["token"]);
  client.clearRoute("t1");
  client.clearRoute("t0"); // another term's leaving changes nothing
  const error = await lost.catch((e) => e);
  assert.deepEqual([error.code, error.retryable], ["storage_busy", true]);
  assert.match(error.message, /may or may not have been applied/);
  const pending = client.call("getExecution", ["id"]);
  client.end();
  await assert.rejects(pending, { code: "closed" });
  await assert.rejects(client.call("getExecution", ["id"]), { code: "closed" });
});

test("iterators: each next names the position reached, and a new leader is asked from the same place", async () => {
  const client = new Client({ waitMs: 10_000 });
  const first = leader("t1");
  client.setRoute(first.route);
  // From now: the leader says where now is, once.
  const events = client.follow("completions", [{ lane: "a" }]);
  assert.deepEqual(first.sent.map((m) => [m.t, m.method]), [["start", "completions"]]);
  reply(client, first.sent[0], "7");
  const batch = client.next(events, 50);
  await new Promise((r) => setTimeout(r));
  const next = first.sent[1];
  assert.deepEqual([next.t, next.position, next.args, next.max], ["next", "7", [{ lane: "a", after: "7" }], 50]);
  reply(client, next, { items: [{ cursor: "8" }, { cursor: "9" }], position: "9" });
  assert.deepEqual(await batch, [{ cursor: "8" }, { cursor: "9" }]);
  const waiting = client.next(events, 50);
  await new Promise((r) => setTimeout(r));
  client.clearRoute("t1");
  const second = leader("t2");
  client.setRoute(second.route);
  assert.deepEqual([second.sent[0].position, second.sent[0].args], ["9", [{ lane: "a", after: "9" }]]);
  // A tail with `after` needs no start; its position is the last frame id.
  const tail = client.follow("tail", ["{fp:0}:x", 0, { after: "5-0" }]);
  const frames = client.next(tail, 10);
  await new Promise((r) => setTimeout(r));
  assert.deepEqual(second.sent.at(-1).args, ["{fp:0}:x", 0, { after: "5-0" }]);
  reply(client, second.sent.at(-1), { items: [], position: "5-0" });
  assert.deepEqual(await frames, [], "ended");
  // The database was destroyed: iterators end, a late reply is dropped.
  client.reset();
  reply(client, second.sent[0], { items: [{ cursor: "1" }], position: "1" });
  assert.deepEqual(await waiting, []);
  assert.deepEqual(await client.next(events, 50), []);
  client.end();
});
