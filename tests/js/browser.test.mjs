// The npm package in headless Chromium (Playwright driving Debian's Chromium): imported with no
// manual init on a page, and openInWorker() proxying to the package's own Worker on OPFS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { serve } from "../e2e/server.mjs";
import { runtimeMethods } from "../e2e/surface.mjs";
import { open } from "ff-backend-wasm";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
let server;
let browser;
let page;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/setup.sh --browser`);
  server = await serve();
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--js-flags=--expose-gc", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.origin}/tests/e2e/scenarios.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const run = (name) => page.evaluate((n) => window.scenarios[n](), name);

test("the package works on a page with no manual init; OPFS there is storage_unavailable", async () => {
  const { frames, opfs } = await run("mainThreadMemory");
  assert.deepEqual(frames, ["from the page"]);
  assert.equal(opfs.isFlowFabricError, true);
  assert.deepEqual([opfs.kind, opfs.code], ["storage", "storage_unavailable"]);
});

test("openInWorker: the same API over postMessage, persisted in OPFS across reopen", async () => {
  const r = await run("workerPersistsAcrossReopen");
  assert.deepEqual(r.seen, ["one", "two"]);
  assert.deepEqual(r.frames, ["one", "two"]);
  assert.equal(r.state, "completed");
  assert.deepEqual(r.payload, [...Buffer.from("kept")]);
  assert.equal(r.storage, "opfs");
  assert.equal(r.error.isFlowFabricError, true, "errors keep their class across the worker");
  assert.deepEqual([r.error.kind, r.error.code], ["validation", "invalid_input"]);
});

test("a second holder of one OPFS database gets storage_busy instead of hanging", async () => {
  // The one-second bound is checked in-context by tests/worker.rs; here the time also covers
  // starting a Worker and compiling the module, so the bound only proves there is no hang.
  const { error, elapsed } = await run("secondHolderIsBusy");
  assert.deepEqual([error.isFlowFabricError, error.kind, error.code], [true, "storage", "storage_busy"]);
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
});

test("closing a proxied backend: waiting tails and later calls reject state/closed, close stays idempotent", async () => {
  const { tail, after, again } = await run("closeAcrossTheWorker");
  assert.deepEqual([tail.isFlowFabricError, tail.kind, tail.code], [true, "state", "closed"]);
  assert.deepEqual([after.isFlowFabricError, after.kind, after.code], [true, "state", "closed"]);
  assert.equal(again, "ok");
});

test("aborting a proxied tail rejects with AbortError and releases the worker's waiter", async () => {
  const { before, after, error } = await run("abortAcrossTheWorker");
  assert.deepEqual([before, after], [1, 0]);
  assert.deepEqual(error, { name: "AbortError" });
});

test("openInWorker()'s Backend has exactly the methods of open()'s, and is a Backend", async () => {
  const r = await run("surfaceOfTheProxy");
  const node = runtimeMethods(await open());
  assert.deepEqual(r.direct, node);
  assert.deepEqual(r.proxied, node);
  assert.deepEqual(r.instanceOf, [true, true]);
  assert.equal(r.asyncDispose, "function");
  assert.equal(r.storage, "memory");
});

test("a crafted image rejects open() on the page instead of leaving it unsettled", async () => {
  const { error, alive } = await run("craftedImageOnThePage");
  assert.deepEqual([error.isFlowFabricError, error.kind], [true, "storage"]);
  assert.equal(alive, true);
});

test("proxied tails dropped without return() are released in the worker once collected", async () => {
  const { before, after } = await run("abandonedProxiedTailsAreReleased");
  assert.deepEqual([before, after], [50, 0]);
});

test("listExecutions, completions and leaseHistory work the same through openInWorker", async () => {
  const r = await run("eventsAcrossTheWorker");
  assert.deepEqual(r.replayed, [[true, "cancelled", "a"], [false, "success", "b"]]);
  assert.deepEqual(r.live, [true]);
  assert.deepEqual(r.leases, ["acquired", "revoked"]);
  assert.deepEqual(r.pages, [1, 1, null]);
  assert.deepEqual(r.byLane, [true]);
  assert.deepEqual([r.parked, r.aborted, r.left], [1, "AbortError", 0]);
  assert.deepEqual([r.bad.isFlowFabricError, r.bad.code], [true, "invalid_input"]);
});

test("openInWorker rejects with a FlowFabricError when the browser refuses its worker", async () => {
  const other = await serve();
  try {
    for (const url of [
      `${other.origin}/tests/e2e/foreign.html?pkg=${server.origin}`, // the package is cross-origin
      `${server.origin}/tests/e2e/foreign.html?csp=no-workers`, // worker-src 'none'
    ]) {
      const p = await browser.newPage();
      await p.goto(url);
      await p.waitForFunction(() => window.ready === true);
      const r = await p.evaluate(() => window.attempt());
      assert.deepEqual([r.isFlowFabricError, r.kind, r.code], [true, "storage", "storage_unavailable"], `${url}: ${r.message}`);
      await p.close();
    }
  } finally {
    await other.close();
  }
});

test("destroy() deletes an OPFS database: the next open of the name starts empty", async () => {
  const { left, kept, again } = await run("destroyStartsEmpty");
  assert.equal(left, 0, "nothing survived destroy");
  assert.equal(kept, 1, "the new database persists as usual");
  assert.deepEqual([again.isFlowFabricError, again.code], [true, "closed"]);
});

test("through openInWorker, concurrent calls are committed in groups and groupCommit works the same", async () => {
  const r = await run("groupedThroughTheWorker");
  assert.equal(r.rejected, 1, "only the bad call failed");
  assert.equal(r.increasing, true, "every append got its own, consecutive frame count");
  assert.equal(r.stored, 499);
  assert.equal(r.returned, "ok");
  assert.deepEqual(r.grouped, ["fulfilled", "fulfilled"]);
  assert.deepEqual([r.thrown.isFlowFabricError, r.thrown.code], [true, "invalid_input"]);
  assert.deepEqual(r.lostStatus, ["rejected"]);
  assert.equal(r.never, 0, "nothing the throwing callback did was kept");
});
