// The playground as a person uses it, in headless Chromium (Playwright driving Debian's
// Chromium), found by accessible names and roles. Screenshots after "Run demo", light and
// dark, go to target/artifacts/ (not committed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "../../www/server.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = new URL("../../target/artifacts/", import.meta.url).pathname;
let server;
let browser;
let context;
let page;
const problems = [];

/** Opens the playground in a new tab of the shared profile, recording console and page errors. */
async function openPlayground() {
  const p = await context.newPage();
  p.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await p.goto(server.url);
  return p;
}

const executions = (p) => p.getByRole("table", { name: "Executions" });
const stateCounts = async (p) => {
  const states = await executions(p).getByRole("row").locator("td:nth-child(4)").allTextContents();
  return states.reduce((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
};

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/setup.sh --browser`);
  await mkdir(artifacts, { recursive: true });
  server = await serve();
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await openPlayground();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("controls stay disabled until the database is open, then the status says this tab leads", async () => {
  await assert.doesNotReject(page.getByRole("button", { name: "Run demo" }).isEnabled({ timeout: 20_000 }));
  await page.waitForFunction(() => !document.querySelector("#run-demo").disabled, null, { timeout: 20_000 });
  const status = await page.getByRole("status").textContent();
  assert.match(status, /OPFS/);
  assert.match(status, /playground\.db/);
  assert.match(status, /this tab leads/);
});

test("Run demo: frames stream live, the summary's version climbs, executions reach their ends", async () => {
  await page.getByRole("button", { name: "Run demo" }).click();
  const log = page.getByRole("log", { name: "Stream" });
  const summary = page.getByRole("region", { name: "Summary" });
  await log.locator(".frame").first().waitFor({ timeout: 15_000 });
  const version = async () => Number((await summary.textContent()).match(/Version (\d+)/)?.[1] ?? 0);
  const firstVersion = await version();
  const firstFrames = await log.locator(".frame").count();
  await page.waitForFunction(
    ([v]) => Number(document.querySelector("#summary-version").textContent.match(/Version (\d+)/)?.[1] ?? 0) > v,
    [firstVersion], { timeout: 15_000 },
  );
  assert.ok((await log.locator(".frame").count()) >= firstFrames, "frames keep arriving");
  await page.waitForFunction(() => {
    const states = [...document.querySelectorAll("#execution-rows td:nth-child(4)")].map((td) => td.textContent);
    return states.length === 6 && states.filter((s) => s === "completed").length === 4 &&
      states.includes("failed") && states.includes("cancelled");
  }, null, { timeout: 60_000 });
  assert.deepEqual(await stateCounts(page), { completed: 4, failed: 1, cancelled: 1 });
  const failedRow = executions(page).getByRole("row").filter({ hasText: "failed" }).filter({ hasText: "ops" });
  assert.match(await failedRow.textContent(), /simulated upstream timeout/);
  assert.equal((await failedRow.locator("td:nth-child(5)").textContent()).trim(), "2", "failed after two retries");
  await page.screenshot({ path: `${artifacts}playground-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${artifacts}playground-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  assert.deepEqual(problems, []);
});

test("selecting a row shows its attempts, its stream with the close, and its summary", async () => {
  const failed = executions(page).getByRole("row").filter({ hasText: "failed" });
  await failed.getByRole("button").click();
  // The detail panel loads the execution before it redraws: until its heading names the failed
  // execution, the attempt buttons are still those of the row shown before.
  await page.getByRole("heading", { name: /· ops · failed$/ }).waitFor();
  const attempts = page.getByRole("group", { name: "Attempts" }).getByRole("button");
  assert.deepEqual(await attempts.allTextContents(), ["Attempt 0", "Attempt 1", "Attempt 2"]);
  await attempts.nth(0).click();
  const log = page.getByRole("log", { name: "Stream" });
  await log.getByText("stream closed: attempt_failure").waitFor();
  assert.ok(await log.getByText("upstream model timed out").isVisible());
  assert.match(await page.getByRole("region", { name: "Summary" }).textContent(), /Version \d+/);
  assert.equal(await page.getByRole("button", { name: "Cancel" }).isDisabled(), true, "nothing to cancel");
});

test("reload: executions, frames and summaries are still there (OPFS)", async () => {
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("#execution-rows tr").length === 6, null, { timeout: 20_000 });
  assert.deepEqual(await stateCounts(page), { completed: 4, failed: 1, cancelled: 1 });
  await executions(page).getByRole("row").filter({ hasText: "completed" }).first().getByRole("button").click();
  const log = page.getByRole("log", { name: "Stream" });
  await log.getByText("stream closed: attempt_success").waitFor({ timeout: 10_000 });
  assert.ok((await log.locator(".frame").count()) > 20);
  assert.match(await page.getByRole("region", { name: "Summary" }).textContent(), /"percent": 100/);
});

/** Waits until a tab's controls are enabled (its database is open). */
const opened = (p) => p.waitForFunction(() => !document.querySelector("#run-demo").disabled, null, { timeout: 20_000 });

test("a second tab works as a follower: the same executions, which tab leads, work across tabs", async () => {
  const second = await openPlayground();
  await opened(second);
  assert.match(await second.getByRole("status").textContent(), /another tab leads; this tab follows/);
  assert.match(await page.getByRole("status").textContent(), /this tab leads/);
  assert.equal(await second.getByRole("alert").filter({ hasText: "Another tab holds the playground database" }).isVisible(), false);
  assert.deepEqual(await stateCounts(second), { completed: 4, failed: 1, cancelled: 1 });
  // Created in the following tab, it shows in the leading one; a worker there runs it, and the
  // following tab sees it complete.
  const form = second.getByRole("form", { name: "New execution" });
  await form.getByLabel("Lane").fill("tabs");
  await form.getByLabel("Payload").fill("Written in the second tab");
  await form.getByRole("button", { name: "Create" }).click();
  await executions(page).getByRole("row").filter({ hasText: "tabs" }).waitFor({ timeout: 10_000 });
  const workers = page.getByRole("form", { name: "Demo workers" });
  await workers.getByLabel("Lane").fill("tabs");
  await workers.getByRole("button", { name: "Start worker" }).click();
  await executions(second).getByRole("row").filter({ hasText: "tabs" }).filter({ hasText: "completed" }).waitFor({ timeout: 30_000 });
  await page.getByRole("button", { name: /^Stop tabs-worker/ }).click();
  await second.close();
  assert.deepEqual(problems, []);
});

test("Export database downloads a SQLite file that passes integrity_check and holds the executions", async () => {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export database" }).click()]);
  assert.equal(download.suggestedFilename(), "playground.sqlite");
  const file = `${artifacts}playground.sqlite`;
  await download.saveAs(file);
  const run = (sql) => promisify(execFile)("sqlite3", [file, sql]).then((r) => r.stdout.trim());
  assert.equal(await run("PRAGMA integrity_check"), "ok");
  assert.equal(await run("SELECT count(*) FROM ff_exec_core"), "7");
});

test("a worker streaming 5,000 frames into the open Stream: no long task over 200 ms, a bounded DOM", async () => {
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: "longtask", buffered: false });
  });
  const form = page.getByRole("form", { name: "New execution" });
  await form.getByLabel("Lane").fill("bulk");
  await form.getByLabel("Payload").fill('{"frames": 5000}');
  await form.getByRole("button", { name: "Create" }).click();
  const workers = page.getByRole("form", { name: "Demo workers" });
  await workers.getByLabel("Lane").fill("bulk");
  await workers.getByRole("button", { name: "Start worker" }).click();
  let maxNodes = 0;
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { nodes, info, workers, title } = await page.evaluate(() => ({
      nodes: document.getElementsByTagName("*").length,
      info: document.querySelector("#stream-info").textContent,
      workers: document.querySelector("#workers").textContent,
      title: document.querySelector("#detail-title").textContent,
    }));
    maxNodes = Math.max(maxNodes, nodes);
    if (/^5,010 frames/.test(info)) break; // 5,000 frames and a summary patch every 500
    assert.ok(Date.now() < deadline, `the stream did not reach 5,000 frames: ${info} (${title}; ${workers})`);
    await page.waitForTimeout(200);
  }
  await page.getByRole("log", { name: "Stream" }).getByText("stream closed: attempt_success").waitFor();
  const longTasks = await page.evaluate(() => window.longTasks);
  assert.ok(longTasks.every((d) => d <= 200), `long tasks: ${longTasks.join(", ")} ms`);
  assert.ok(maxNodes < 2500, `the page grew to ${maxNodes} elements`);
  assert.equal(await page.getByRole("log", { name: "Stream" }).locator(".frame").count(), 400);
  assert.deepEqual(problems, []);
});

test("Reset asks first, then deletes the database and starts empty", async () => {
  page.once("dialog", (dialog) => dialog.dismiss());
  await page.getByRole("button", { name: "Reset" }).click();
  assert.equal(await page.locator("#execution-rows tr").count(), 8, "dismissing keeps everything");
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Reset" }).click();
  await page.getByText("No executions yet").waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => !document.querySelector("#run-demo").disabled);
  assert.match(await page.getByRole("status").textContent(), /0 executions/);
  await page.reload();
  await page.getByText("No executions yet").waitFor({ timeout: 20_000 });
  assert.deepEqual(problems, []);
});

test("closing the leading tab: another tab takes over at once and goes on working", async () => {
  const second = await openPlayground();
  await opened(second);
  assert.match(await second.getByRole("status").textContent(), /this tab follows/);
  await page.close();
  await second.getByRole("status").filter({ hasText: "this tab leads" }).waitFor({ timeout: 20_000 });
  const form = second.getByRole("form", { name: "New execution" });
  await form.getByLabel("Lane").fill("after");
  await form.getByLabel("Payload").fill("After the handover");
  await form.getByRole("button", { name: "Create" }).click();
  await executions(second).getByRole("row").filter({ hasText: "after" }).waitFor({ timeout: 10_000 });
  assert.match(await second.getByRole("status").textContent(), /1 execution/);
  assert.deepEqual(problems, []);
});
