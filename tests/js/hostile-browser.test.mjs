// Hostile input through openInWorker in headless Chromium (tests/e2e/hostile.html runs
// tests/e2e/hostile.mjs against a proxied Backend): the same rules as in Node, the worker's
// database passes the sqlite3 CLI's integrity check afterwards, and valid calls still work.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../e2e/server.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
let server;
let browser;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/setup.sh --browser`);
  server = await serve();
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** One run of the page's scenario, shared by the tests below. */
let run;
async function hostile() {
  if (run) return run;
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.origin}/tests/e2e/hostile.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
  run = { ...(await page.evaluate((rounds) => window.runHostile(rounds), 120)), errors };
  await page.close();
  return run;
}

// On the page, js/proxy.js reads an iterator's `options.signal` before anything crosses to the
// worker; a hostile options object makes tail(), completions() and leaseHistory() throw there.
const iteratorThrew = (f) => /^(tail|completions|leaseHistory)\(.*threw synchronously/.test(f);

test("openInWorker: generated bad values reject only as documented, and the worker's database stays sound", async () => {
  const r = await hostile();
  assert.deepEqual(r.failures.filter((f) => !iteratorThrew(f)), []);
  assert.ok(r.calls >= 120 * 19 && r.mustReject > 500, JSON.stringify({ ...r, image: r.image.length }));
  assert.equal(r.waiters, 0);
  assert.deepEqual(r.frames, ["fine"]);
  const dir = mkdtempSync(join(tmpdir(), "ff-hostile-browser-"));
  try {
    writeFileSync(join(dir, "db"), Uint8Array.from(r.image));
    assert.equal(execFileSync("sqlite3", [join(dir, "db"), "PRAGMA integrity_check"], { encoding: "utf8" }).trim(), "ok");
  } finally {
    rmSync(dir, { recursive: true });
  }
  assert.deepEqual(r.errors, []);
});

test("openInWorker: iterators given hostile options never throw on the page", async () => {
  const r = await hostile();
  assert.deepEqual(r.failures.filter(iteratorThrew), []);
});
