// The edge sandbox across restarts (a new workerd on the same persist folder), its alarm
// reclaiming an expired lease with nobody calling, access control and CORS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sandboxRuntime } from "../../www/edge/miniflare.mjs";
import { client } from "../edge/client.mjs";

async function withFolder(run) {
  const dir = await mkdtemp(join(tmpdir(), "ff-edge-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("restart: executions, frames, summaries and stream closes survive a new runtime on the same folder", async () => {
  await withFolder(async (dir) => {
    let mf = sandboxRuntime({ persist: dir });
    let api = client(mf, { prefix: "/sandboxes/durable" });
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await api.post("/executions", { lane: "keep", payload: `job ${i}` })).json.executionId);
    const handle = (await api.post("/claim", { workerId: "w", lane: "keep" })).json;
    for (let i = 0; i < 20; i++) await api.post("/frames", { handle, frame: { payload: `frame ${i}` } });
    await api.post("/frames", { handle, frame: { payload: '{"step":20}', mode: "summary" } });
    await api.post("/complete", { handle, result: "kept" });
    const open = (await api.post("/claim", { workerId: "w", lane: "keep", leaseTtlMs: 600_000 })).json;
    await api.post("/frames", { handle: open, frame: { payload: "still open" } });
    await mf.dispose();

    mf = sandboxRuntime({ persist: dir });
    api = client(mf, { prefix: "/sandboxes/durable" });
    try {
      const listed = await api.get("/executions?lane=keep");
      assert.deepEqual(listed.json.executions.map((e) => e.executionId), made);
      const id = handle.executionId.slice(7);
      const frames = await api.get(`/executions/${id}/attempts/0/frames?limit=100`);
      assert.equal(frames.json.frames.length, 21);
      assert.equal(frames.json.closedReason, "attempt_success");
      assert.deepEqual((await api.get(`/executions/${id}/attempts/0/summary`)).json.document, { step: 20 });
      assert.equal((await api.get(`/executions/${id}`)).json.result, "kept");
      // The lease taken before the restart still works after it.
      assert.equal((await api.post("/frames", { handle: open, frame: { payload: "after restart" } })).status, 200);
      const image = await mf.dispatchFetch("http://localhost/sandboxes/durable/export");
      assert.equal(image.headers.get("content-type"), "application/vnd.sqlite3");
      const file = join(dir, "export.sqlite");
      await writeFile(file, new Uint8Array(await image.arrayBuffer()));
      const run = (sql) => promisify(execFile)("sqlite3", [file, sql]).then((r) => r.stdout.trim());
      assert.equal(await run("PRAGMA integrity_check"), "ok");
      assert.equal(await run("SELECT count(*) FROM ff_exec_core"), "3");
      assert.equal((await readFile(file)).subarray(0, 15).toString(), "SQLite format 3");
    } finally {
      await mf.dispose();
    }
  });
});

test("a lease that expires with nobody calling is reclaimed by the object's alarm", async () => {
  const mf = sandboxRuntime({});
  const api = client(mf, { prefix: "/sandboxes/alarm" });
  try {
    const { executionId } = (await api.post("/executions", { lane: "alarm" })).json;
    await api.post("/claim", { workerId: "w", lane: "alarm", leaseTtlMs: 300 });
    const id = executionId.slice(7);
    const deadline = Date.now() + 15_000;
    let stream;
    do {
      await new Promise((r) => setTimeout(r, 200));
      stream = (await api.get(`/executions/${id}/attempts/0/frames`)).json;
    } while (stream.closedReason === null && Date.now() < deadline);
    assert.equal(stream.closedReason, "lease_expired", "the alarm ended the expired attempt");
    const info = (await api.get(`/executions/${id}`)).json;
    assert.equal(info.publicState, "waiting", "reclaimable again");
    const again = (await api.post("/claim", { workerId: "w2", lane: "alarm" })).json;
    assert.deepEqual([again.kind, again.attemptIndex], ["reclaimed", 1]);
  } finally {
    await mf.dispose();
  }
});

test("FF_API_TOKEN: 401 without or with a wrong token; the right one works, as a header or access_token on SSE", async () => {
  const token = "s3cret-token-for-tests";
  const mf = sandboxRuntime({ bindings: { FF_API_TOKEN: token } });
  try {
    const anonymous = client(mf);
    const wrong = client(mf, { token: "nope" });
    const right = client(mf, { token });
    assert.deepEqual((await anonymous.get("/healthz")).json, { ok: true, auth: true }, "healthz stays open");
    for (const c of [anonymous, wrong]) {
      const refused = await c.post("/executions", {});
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.code, "unauthorized");
      assert.ok(!refused.text.includes(token), "no hint of the token");
    }
    const made = await right.post("/executions", { lane: "auth" });
    assert.equal(made.status, 201);
    const handle = (await right.post("/claim", { workerId: "w", lane: "auth" })).json;
    const id = made.json.executionId.slice(7);
    const refusedStream = await anonymous.events(`/executions/${id}/attempts/0/tail`);
    assert.equal(refusedStream.status, 401);
    const stream = await anonymous.events(`/executions/${id}/attempts/0/tail?access_token=${token}`);
    assert.equal(stream.status, 200);
    await right.post("/frames", { handle, frame: { payload: "for the token holder" } });
    assert.equal(JSON.parse((await stream.next()).data).fields.payload, "for the token holder");
    await stream.close();
    assert.equal((await anonymous.post(`/executions?access_token=${token}`, {})).status, 401, "query tokens only on streams");
  } finally {
    await mf.dispose();
  }
});

test("CORS: a preflight from an allowed origin succeeds, from another it does not", async () => {
  const mf = sandboxRuntime({ bindings: { FF_CORS_ORIGINS: "https://allowed.example, https://also.example" } });
  const preflight = (origin) => mf.dispatchFetch("http://localhost/executions", {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  try {
    const ok = await preflight("https://allowed.example");
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://allowed.example");
    assert.match(ok.headers.get("access-control-allow-methods"), /POST/);
    const no = await preflight("https://evil.example");
    assert.equal(no.status, 403);
    assert.equal(no.headers.get("access-control-allow-origin"), null);
    const simple = await mf.dispatchFetch("http://localhost/healthz", { headers: { origin: "https://also.example" } });
    assert.equal(simple.headers.get("access-control-allow-origin"), "https://also.example");
  } finally {
    await mf.dispose();
  }
});
