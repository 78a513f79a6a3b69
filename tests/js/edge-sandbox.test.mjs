// The edge sandbox in real workerd (Miniflare, the Durable Object SQLite-backed, a persist
// folder): every route, every error, live tails and completions as Server-Sent Events, and
// sandboxes isolated from each other.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sandboxRuntime } from "../../www/edge/miniflare.mjs";
import { client } from "../edge/client.mjs";

let mf;
let dir;
let api;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ff-edge-"));
  mf = sandboxRuntime({ persist: dir });
  api = client(mf);
});

after(async () => {
  await mf?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A created and claimed execution, on a lane of its own. */
async function claimed(c = api) {
  const lane = `lane-${Math.floor(Math.random() * 1e9)}`;
  const created = await c.post("/executions", { lane, payload: "edge work" });
  const claim = await c.post("/claim", { workerId: "w", lane });
  return { id: created.json.executionId, handle: claim.json, lane };
}

test("healthz answers, and says whether a token is required", async () => {
  const health = await api.get("/healthz");
  assert.deepEqual([health.status, health.json], [200, { ok: true, auth: false }]);
});

test("create, list, get, claim, append, read, summary, renew, progress, complete: every row of the table", async () => {
  const created = await api.post("/executions", { lane: "rows", priority: 3, payload: "payload ✓" });
  assert.equal(created.status, 201);
  assert.equal(created.json.created, true);
  const id = created.json.executionId;
  assert.equal((await api.post("/executions", { executionId: id })).json.created, false);

  const got = await api.get(`/executions/${encodeURIComponent(id)}`);
  assert.deepEqual([got.status, got.json.publicState, got.json.payload, got.json.payloadEncoding], [200, "waiting", "payload ✓", "utf8"]);
  assert.equal((await api.get(`/executions/${id.slice(7)}`)).json.executionId, id, "the bare uuid works too");

  const listed = await api.get("/executions?lane=rows&state=waiting&limit=10");
  assert.deepEqual(listed.json.executions.map((e) => e.executionId), [id]);
  assert.equal(listed.json.nextCursor, null);

  assert.equal((await api.post("/claim", { workerId: "w", lane: "empty-lane" })).status, 204, "no work: 204");
  const claim = await api.post("/claim", { workerId: "w", lane: "rows", leaseTtlMs: 60_000 });
  assert.equal(claim.status, 200);
  const handle = claim.json;
  assert.equal(handle.executionId, id);

  const appended = await api.post("/frames", { handle, frame: { payload: "hello" } });
  assert.deepEqual([appended.status, appended.json.frameCount], [200, 1]);
  await api.post("/frames", { handle, frame: { payload: '{"pct":50}', mode: "summary" } });
  const frames = await api.get(`/executions/${id.slice(7)}/attempts/0/frames?limit=10`);
  assert.deepEqual(frames.json.frames.map((f) => f.fields.payload), ["hello", '{"pct":50}']);
  const summary = await api.get(`/executions/${id.slice(7)}/attempts/0/summary`);
  assert.deepEqual([summary.status, summary.json.document, summary.json.version], [200, { pct: 50 }, 1]);

  const renewed = await api.post("/renew", { handle });
  assert.equal(renewed.json.leaseEpoch, 1);
  assert.deepEqual((await api.post("/progress", { handle, progress: { percent: 60 } })).json, { ok: true });
  assert.deepEqual((await api.post("/complete", { handle, result: "done" })).json, { ok: true });
  const done = await api.get(`/executions/${id.slice(7)}`);
  assert.deepEqual([done.json.publicState, done.json.result], ["completed", "done"]);
});

test("fail with retry, and operator cancel", async () => {
  const { id, handle } = await claimed();
  const failed = await api.post("/fail", { handle, failure: { message: "flaky", classification: "transient" } });
  assert.equal(failed.json.outcome, "retry_scheduled");
  const cancelled = await api.post("/cancel", { executionId: id, reason: "enough" });
  assert.deepEqual([cancelled.status, cancelled.json], [200, { ok: true }]);
  assert.equal((await api.get(`/executions/${id.slice(7)}`)).json.publicState, "cancelled");
});

test("errors: 400 validation and bad JSON, 404, 405, 409, 413 — each with the error body", async () => {
  const { handle } = await claimed();
  const cases = [
    [await api.post("/executions", { priority: "high" }), 400, "validation"],
    [await api.call("POST", "/executions", "{not json"), 400, "validation"],
    [await api.call("POST", "/executions", "[1,2]"), 400, "validation"],
    [await api.get("/executions/not-an-id"), 400, "validation"],
    [await api.get("/executions/00000000-0000-4000-8000-000000000000"), 404, "not_found"],
    [await api.get("/no/such/route"), 404, "not_found"],
    [await api.get("/executions/00000000-0000-4000-8000-000000000000/attempts/0/summary"), 404, "not_found"],
    [await api.get("/claim"), 405, "validation"],
    [await api.post("/export"), 405, "validation"],
  ];
  await api.post("/complete", { handle });
  cases.push([await api.post("/complete", { handle }), 409, "contention"]);
  cases.push([await api.post("/frames", { handle, frame: { payload: "late" } }), 409, "state"]);
  cases.push([await api.post("/executions", { payload: "x".repeat(1.5 * 1024 * 1024) }), 413, "validation"]);
  for (const [response, status, kind] of cases) {
    assert.equal(response.status, status, response.text);
    assert.equal(response.json.error.kind, kind, response.text);
    assert.equal(typeof response.json.error.code, "string");
    assert.equal(typeof response.json.error.message, "string");
    assert.ok(!response.json.error.message.includes(handle.token.slice(8, 40)), "no token in messages");
  }
});

test("a tail over SSE gets frames appended while it is connected, then `event: closed`; a reconnect resumes", async () => {
  const { id, handle } = await claimed();
  await api.post("/frames", { handle, frame: { payload: "before" } });
  const stream = await api.events(`/executions/${id.slice(7)}/attempts/0/tail`);
  assert.match(stream.contentType, /text\/event-stream/);
  const first = await stream.next();
  assert.equal(JSON.parse(first.data).fields.payload, "before");
  await api.post("/frames", { handle, frame: { payload: "live 1" } });
  const second = await stream.next();
  assert.deepEqual([second.id, JSON.parse(second.data).fields.payload], [JSON.parse(second.data).id, "live 1"]);
  await stream.close();
  await api.post("/frames", { handle, frame: { payload: "missed while away" } });
  await api.post("/complete", { handle });
  const again = await api.events(`/executions/${id.slice(7)}/attempts/0/tail`, { "last-event-id": second.id });
  const resumed = [];
  for (let e = await again.next(); e; e = await again.next()) resumed.push(e.event === "closed" ? `closed:${e.data}` : JSON.parse(e.data).fields.payload);
  assert.deepEqual(resumed, ["missed while away", "closed:attempt_success"]);
  assert.equal((await api.get("/stats")).json.waiters, 0, "the disconnected stream released its waiter");
});

test("fifty SSE clients on one stream each receive every frame", async () => {
  const { id, handle } = await claimed();
  const streams = await Promise.all(Array.from({ length: 50 }, () => api.events(`/executions/${id.slice(7)}/attempts/0/tail`)));
  const payloads = Array.from({ length: 5 }, (_, i) => `f${i}`);
  for (const payload of payloads) await api.post("/frames", { handle, frame: { payload } });
  await api.post("/complete", { handle });
  const seen = await Promise.all(streams.map(async (s) => {
    const got = [];
    for (let e = await s.next(); e && e.event !== "closed"; e = await s.next()) got.push(JSON.parse(e.data).fields.payload);
    return got;
  }));
  for (const got of seen) assert.deepEqual(got, payloads);
  assert.equal((await api.get("/stats")).json.waiters, 0);
});

test("completions over SSE: replay from \"0\", live, and resume after Last-Event-ID", async () => {
  const c = client(mf, { prefix: "/sandboxes/completions-test" });
  const a = await c.post("/executions", {});
  await c.post("/cancel", { executionId: a.json.executionId });
  const stream = await c.events("/completions?after=0");
  const replayed = await stream.next();
  assert.deepEqual([JSON.parse(replayed.data).executionId, JSON.parse(replayed.data).outcome], [a.json.executionId, "cancelled"]);
  const b = await c.post("/executions", {});
  await c.post("/cancel", { executionId: b.json.executionId });
  const live = await stream.next();
  assert.equal(JSON.parse(live.data).executionId, b.json.executionId);
  await stream.close();
  const resumed = await c.events("/completions", { "last-event-id": replayed.id });
  assert.equal(JSON.parse((await resumed.next()).data).executionId, b.json.executionId);
  await resumed.close();
});

test("two sandboxes are isolated from each other", async () => {
  const red = client(mf, { prefix: "/sandboxes/red" });
  const blue = client(mf, { prefix: "/sandboxes/blue" });
  const made = await red.post("/executions", { lane: "only-red" });
  assert.equal((await red.get(`/executions/${made.json.executionId.slice(7)}`)).status, 200);
  assert.equal((await blue.get(`/executions/${made.json.executionId.slice(7)}`)).status, 404);
  assert.deepEqual((await blue.get("/executions?lane=only-red")).json.executions, []);
  assert.equal((await blue.post("/claim", { workerId: "w", lane: "only-red" })).status, 204);
});
