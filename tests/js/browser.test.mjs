// The npm package in headless Chromium (Playwright driving Debian's Chromium): imported with no
// manual init on a page, and openInWorker() proxying to the package's own Worker on OPFS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { serve } from "../e2e/server.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
let server;
let browser;
let page;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/setup.sh --browser`);
  server = await serve();
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
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
