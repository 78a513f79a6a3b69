// `npm run bench`: the workload of benches/workload.mjs in Node (memory) and in headless
// Chromium (main thread on memory, openInWorker on memory, openInWorker on OPFS), each figure
// the median of RUNS runs with min and max, each rate also as a ratio of the storage limit
// measured in the same process (one-row INSERT transactions through the same SQLite build and
// storage: benchRawInserts). Prints a table, then one line `BENCH_JSON {...}`. Asserts nothing.
//   --quick      fewer operations and runs (a smoke run, not figures to quote)
//   --node-only  skip Chromium
import { open } from "ff-backend-wasm";
import { measure, rawInsertsPerS } from "./workload.mjs";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 2 : 5;
const NODE_CURVE = quick ? [1000, 10_000] : [1000, 10_000, 100_000];
const BROWSER_CURVE = quick ? [1000] : [1000, 10_000];

/** Runs `once` RUNS times and keeps every figure's median, min and max. */
async function repeat(label, once) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`${label}: run ${i + 1}/${RUNS}\n`);
    runs.push(flatten(await once()));
  }
  const out = {};
  for (const key of Object.keys(runs[0])) {
    const xs = runs.map((r) => r[key]).sort((a, b) => a - b);
    out[key] = { median: xs[Math.floor(xs.length / 2)], min: xs[0], max: xs.at(-1) };
  }
  return out;
}

function flatten(figures, prefix = "") {
  const out = {};
  for (const [k, v] of Object.entries(figures)) {
    if (typeof v === "object") Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[prefix + k] = v;
  }
  return out;
}

async function nodeFigures() {
  return repeat("node memory", async () => ({
    rawInsertsPerS: await rawInsertsPerS(await open(), quick),
    ...(await measure(() => open(), { quick, concurrent: true, claimCurve: NODE_CURVE })),
  }));
}

async function browserFigures() {
  const { chromium } = await import("playwright-core");
  const { serve } = await import("../www/server.mjs");
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  // The package as one file, as openInWorker's Worker loads it (benches/open-probe.js).
  const { build } = await import("esbuild");
  const here = (path) => new URL(path, import.meta.url).pathname;
  await build({ entryPoints: [here("../js/index.js")], bundle: true, format: "esm", outfile: here("../target/bench/package.js"), logLevel: "warning" });
  const server = await serve();
  // An on-disk profile, as a person's browser has (incognito keeps OPFS in memory).
  const profile = await mkdtemp(join(tmpdir(), "ff-bench-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${server.origin}/benches/bench.html`);
    await page.waitForFunction(() => window.ready === true);
    const out = {};
    for (const target of ["main-memory", "worker-memory", "worker-opfs"]) {
      out[target] = await repeat(`chromium ${target}`, () =>
        page.evaluate(([t, q, curve]) => window.run(t, q, curve), [target, quick, BROWSER_CURVE]));
    }
    const { times, parts } = await page.evaluate((runs) => window.openTimes(runs), RUNS);
    const spread = (xs) => {
      xs.sort((a, b) => a - b);
      return { median: xs[Math.floor(xs.length / 2)], min: xs[0], max: xs.at(-1) };
    };
    out["worker-opfs"].openMs100kFrames = spread(times);
    for (const key of Object.keys(parts[0])) out["worker-opfs"][`open.${key}`] = spread(parts.map((p) => p[key]));
    return out;
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

// The targets (docs: BENCHMARKS.md), for the table's last column.
const TARGETS = {
  durableAppendsPerS: "≥ 40,000/s (OPFS: ≥ 2,000/s)",
  summaryPatchesPerS: "≥ 25,000/s",
  createsPerS: "≥ 40,000/s",
  "claimsPerS.1000": "≥ 20,000/s",
  "claimsPerS.10000": "≥ 20,000/s, flat",
  "claimsPerS.100000": "≥ 20,000/s, flat",
  readFramesPerS: "≥ 300,000/s",
  tailWakeP50Ms: "≤ 0.15 ms (worker: 0.5 memory, 1.5 OPFS)",
  tailWakeP99Ms: "≤ 0.5 ms",
  concurrentAppendsPerS: "OPFS ≥ 10,000/s",
  openMs100kFrames: "≤ 50 ms",
  "open.databaseOpenMs": "(of openMs100kFrames: the database alone)",
};

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 3));

function print(results) {
  const columns = Object.keys(results);
  const keys = [...new Set(columns.flatMap((c) => Object.keys(results[c])))];
  console.log(`figure | ${columns.join(" | ")} | target`);
  console.log(`---|${columns.map(() => "---").join("|")}|---`);
  for (const key of keys) {
    const cells = columns.map((c) => {
      const f = results[c][key];
      if (!f) return "—";
      const raw = results[c].rawInsertsPerS?.median;
      const ratio = key.includes("PerS") && key !== "rawInsertsPerS" && key !== "readFramesPerS" && raw ? ` = ${(f.median / raw).toFixed(2)}× raw` : "";
      return `${fmt(f.median)} (${fmt(f.min)}–${fmt(f.max)})${ratio}`;
    });
    console.log(`${key} | ${cells.join(" | ")} | ${TARGETS[key] ?? ""}`);
  }
}

const results = { node: await nodeFigures() };
if (!process.argv.includes("--node-only")) Object.assign(results, await browserFigures());
print(results);
console.log(`BENCH_JSON ${JSON.stringify({ runs: RUNS, quick, date: new Date().toISOString(), results })}`);
