// Drives pages of tests/e2e/tabs.html in headless Chromium for the tests of tabs sharing one
// database (tests/js/tabs.test.mjs, tests/js/failover-*.test.mjs): one browser context, a
// page per tab, each driven through its `window.tabs`.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const APPENDS = 120; // per tab and failover run, round-robin over the three streams
let server;
let browser;
let context;
/** Page errors of every tab: a test ends by checking there were none. */
export const problems = [];

export async function launch() {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath}: run scripts/setup.sh --browser`);
  server = await serve();
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic", "--disable-renderer-backgrounding",
      "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"],
  });
  context = await browser.newContext();
}

export async function shutdown() {
  await browser?.close();
  await server?.close();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const fresh = (label) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}.db`;

export async function newTab() {
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.origin}/tests/e2e/tabs.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

export const openIn = (page, name, options) => page.evaluate(([n, o]) => window.tabs.open(n, o), [name, options]);
/** A Backend call in `page`; fails the test if it rejected. */
export async function call(page, method, ...args) {
  const value = await page.evaluate(([m, a]) => window.tabs.call(m, ...a), [method, args]);
  assert.equal(value?.error, undefined, `${method}: ${value?.error?.message}`);
  return value;
}
export const callError = (page, method, ...args) => page.evaluate(([m, a]) => window.tabs.call(m, ...a), [method, args]).then((v) => v.error);
export const follow = (page, key, method, ...args) => page.evaluate(([k, m, a]) => window.tabs.follow(k, m, ...a), [key, method, args]);
export const followed = (page, key) => page.evaluate((k) => window.tabs.followed(k), key);

/** Waits until `check()` returns a truthy value, up to `ms`. */
export async function until(check, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

const shuffle = (items) => items.map((v) => [Math.random(), v]).sort((x, y) => x[0] - y[0]).map(([, v]) => v);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * One run: three tabs open a fresh database (in random order), each claims an execution and
 * every tab tails all three and follows completions; then every tab appends to all three
 * streams and runs create-claim-complete cycles while the leader's page closes at a random
 * point (with `handover: false`, its pagehide never reaches the package: as a crash). Checks
 * everything the failover promises and returns its time.
 */
async function failoverRun(pages, run, handover) {
  const name = fresh(`failover${run}`);
  const order = shuffle([0, 1, 2]);
  const roles = [];
  roles[order[0]] = await openIn(pages[order[0]], name);
  await Promise.all(order.slice(1).map(async (i) => (roles[i] = await openIn(pages[i], name))));
  const leaderPage = pages[order[0]];
  assert.equal(roles[order[0]].role, "leader");
  await Promise.all(pages.map((page) => follow(page, "completions", "completions")));
  const handles = [];
  for (const [i, page] of pages.entries()) {
    await call(page, "createExecution", { lane: "burst" });
    handles.push(await call(page, "claim", { lane: "burst", workerId: `tab-${i}`, leaseTtlMs: 120_000 }));
  }
  await Promise.all(pages.flatMap((page) => handles.map((h) => follow(page, h.executionId, "tail", h.executionId, 0))));
  const tokens = handles.map((h) => h.token);
  await Promise.all(pages.map((page, i) =>
    page.evaluate((spec) => window.tabs.startBurst(spec), { tokens, count: APPENDS, label: `r${run}t${i}`, quick: 4 })));

  if (!handover) await leaderPage.evaluate(() => window.tabs.noHandover());
  await sleep(20 + Math.random() * 300);
  const { resolvedThere, midBurst } = await leaderPage.evaluate(() => ({
    resolvedThere: window.tabs.burst().resolved.map(([payload]) => payload),
    midBurst: !window.tabs.burst().done,
  }));
  assert.ok(midBurst, "the leader's page closes in the middle of the burst");
  const closedAt = Date.now();
  await leaderPage.close();
  const survivors = pages.filter((p) => p !== leaderPage);
  for (const page of survivors) await page.waitForFunction(() => window.tabs.burst().done, null, { timeout: 60_000 });

  // Failover time: the first call a survivor got an answer to after it heard of the new leader.
  const served = [];
  for (const page of survivors) {
    const { roles: seen, resolved } = await page.evaluate(() => ({ roles: window.tabs.roles(), resolved: window.tabs.burst().resolved }));
    const switched = seen.find((r) => r.at >= closedAt && r.leader && r.leader !== roles[order[0]].tab);
    assert.ok(switched, "the survivor heard of a new leader");
    const first = resolved.find(([, at]) => at >= switched.at);
    if (first) served.push(first[1] - closedAt);
    const burst = await page.evaluate(() => window.tabs.burst());
    assert.deepEqual(burst.rejected, [], "calls wait through the leader change instead of failing");
  }
  assert.ok(served.length > 0, "a call was served by the new leader");
  const now = await Promise.all(survivors.map((p) => p.evaluate(() => window.tabs.leadership())));
  assert.equal(now.filter((r) => r.role === "leader").length, 1, "exactly one survivor leads");
  assert.equal(now[0].leader, now[1].leader);

  // Every stream, ended: nothing lost, nothing doubled, every survivor's tail whole.
  for (const h of handles) await call(survivors[0], "complete", h);
  const resolvedHere = await Promise.all(survivors.map((p) => p.evaluate(() => window.tabs.burst().resolved.map(([payload]) => payload))));
  const stored = new Map();
  for (const h of handles) {
    const { frames } = await call(survivors[0], "readStream", h.executionId, 0, { limit: 10_000 });
    const payloads = frames.map((f) => f.fields.payload);
    assert.equal(new Set(payloads).size, payloads.length, "no append is stored twice");
    for (const p of payloads) stored.set(p, (stored.get(p) ?? 0) + 1);
    for (const page of survivors) {
      const tail = await until(async () => ((await followed(page, h.executionId)).done ? followed(page, h.executionId) : null), "a tail to end");
      assert.equal(tail.error, null);
      assert.deepEqual(tail.items.map(([id]) => id), frames.map((f) => f.id), "the tail has every frame once, in order");
    }
  }
  for (const payload of [...resolvedThere, ...resolvedHere.flat()]) {
    assert.equal(stored.get(payload), 1, `the resolved append ${payload} is stored exactly once`);
  }

  // The completion stream: every survivor saw each completion once (all came after it began).
  const { executions } = await call(survivors[0], "listExecutions", { publicState: "completed", limit: 1000 });
  const completed = executions.map((e) => e.executionId).sort();
  for (const page of survivors) {
    const items = await until(async () => {
      const log = await followed(page, "completions");
      return log.items.length >= completed.length && log.items;
    }, "the completions");
    assert.deepEqual(items.map(([, id]) => id).sort(), completed, "each completion once");
    assert.ok(items.every(([cursor], i) => i === 0 || Number(cursor) > Number(items[i - 1][0])), "in order");
  }
  for (const page of survivors) await page.evaluate(() => window.tabs.close());
  return Math.min(...served);
}

/**
 * `runs` failover runs on three tabs (a new tab replaces the closed one after each); resolves
 * the failover times, sorted, and prints p50 and max.
 */
export async function failovers(runs, { handover }) {
  let pages = [await newTab(), await newTab(), await newTab()];
  const times = [];
  for (let run = 0; run < runs; run++) {
    times.push(await failoverRun(pages, run, handover));
    pages = [...pages.filter((p) => !p.isClosed()), await newTab()];
  }
  await Promise.all(pages.map((p) => p.close()));
  times.sort((x, y) => x - y);
  console.log(`failover ${handover ? "with" : "without"} the pagehide handover (leader page closed -> first call ` +
    `served by the new leader), ${runs} runs: p50 ${percentile(times, 50)} ms, max ${times.at(-1)} ms, all ${times.join(" ")}`);
  return times;
}
