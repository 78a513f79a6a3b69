// Crash safety on OPFS: the page holding the database closes (its worker dies) in the middle of
// bursts of creates, claims, appends, summary patches and completes from four concurrent
// callers, at random points; a new page reopens the database and finds it whole. Ten rounds
// here; scripts/long-tests.sh runs 200 (CRASH_ROUNDS). The database carries over from round to
// round and every round checks all of it, so later rounds take longer (about 10 s at 200).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "../e2e/server.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 10);
let server;
let context;
let dir;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}`);
  server = await serve();
  dir = await mkdtemp(join(tmpdir(), "ff-crash-"));
  // A profile on disk, as a person's browser has: OPFS then lives in files (in an incognito
  // context it lives in the browser's memory instead).
  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function openPage(reports) {
  const page = await context.newPage();
  if (reports) await page.exposeFunction("report", (entry) => reports.push(entry));
  else await page.exposeFunction("report", () => {});
  await page.goto(`${server.origin}/tests/e2e/crash.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

/** Checks the reopened database against what resolved before the crash. */
async function verify(reports, found, round) {
  const label = `round ${round}`;
  const file = join(dir, `round-${round}.sqlite`);
  await writeFile(file, Buffer.from(found.image, "base64"));
  const sql = (q) => promisify(execFile)("sqlite3", [file, q]).then((r) => r.stdout.trim());
  assert.equal(await sql("PRAGMA integrity_check"), "ok", label);

  const state = new Map(found.executions.map((e) => [e.id, e]));
  for (const r of reports.filter((r) => r.op === "create")) assert.ok(state.has(r.executionId), `${label}: a created execution is missing`);
  for (const r of reports.filter((r) => r.op === "complete")) {
    const e = state.get(r.executionId);
    const story = () => JSON.stringify({ stored: e, calls: reports.filter((c) => c.executionId === r.executionId).map((c) => c.op) });
    assert.deepEqual([e?.state, e?.result], ["completed", `done ${r.executionId}`], `${label}: a completed execution is not stored as completed: ${story()}`);
  }
  for (const r of reports.filter((r) => r.op === "append")) {
    const frames = found.streams[r.stream]?.frames ?? [];
    const same = frames.filter((f) => f.payload === r.payload);
    assert.equal(same.length, 1, `${label}: append ${r.payload} is stored ${same.length} times`);
    assert.equal(same[0].id, r.id, `${label}: append ${r.payload} has its id`);
  }
  for (const [stream, { frames, summary }] of Object.entries(found.streams)) {
    const ids = frames.map((f) => f.id);
    assert.equal(new Set(ids).size, ids.length, `${label}: duplicate frame ids in ${stream}`);
    for (const f of frames) {
      const whole = f.mode === "summary" ? /^\{"n":\d+\}$/.test(f.payload) : f.payload.startsWith(`${stream} frame `);
      assert.ok(whole, `${label}: a half-written frame ${JSON.stringify(f)}`);
    }
    const patches = frames.filter((f) => f.mode === "summary");
    assert.equal(summary?.version ?? 0, patches.length, `${label}: the summary of ${stream} disagrees with its frames`);
    if (patches.length) assert.deepEqual(summary.document, JSON.parse(patches.at(-1).payload), `${label}: summary document`);
  }
  const terminal = found.executions.filter((e) => e.state === "completed").map((e) => e.id).sort();
  const events = found.completions.map((c) => c.executionId).sort();
  assert.deepEqual(events, terminal, `${label}: the completion outbox has one event per completed execution`);
  assert.ok(found.completions.every((c) => c.outcome === "success" && !c.extra), `${label}: no stray completion event`);
}

test(`the page holding an OPFS database dies mid-burst, ${ROUNDS} times at random points: nothing resolved is lost or doubled`, { timeout: Math.max(110_000, ROUNDS * 20_000) }, async () => {
  const name = `crash-${Date.now()}.db`;
  let reported = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const reports = [];
    const page = await openPage(reports);
    await page.evaluate((n) => window.burst(n), name);
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 900));
    await page.close({ runBeforeUnload: false });
    const checker = await openPage(null);
    const t0 = Date.now();
    const found = await checker.evaluate((n) => window.check(n), name);
    if (process.env.CRASH_DEBUG) console.log(`round ${round}: ${reports.length} resolved, check ${Date.now() - t0} ms, ${found.executions.length} executions, ${Object.keys(found.streams).filter((k) => !k.endsWith("/0")).length} streams of reclaimed attempts ${JSON.stringify(found.timing)}`);
    await checker.close();
    await verify(reports, found, round);
    reported += reports.length;
  }
  assert.ok(reported > ROUNDS * 10, `the bursts did real work before each crash (${reported} resolved calls)`);
});
