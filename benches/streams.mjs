// Stream throughput and tail wake-up latency, in one Node process, each figure also given as a
// ratio to a baseline measured in the same run (a trivial indexed read through the same API),
// so numbers from different machines can be compared. Prints figures; asserts nothing.
import { open } from "ff-backend-wasm";

const ff = await open();
const missing = "{fp:0}:00000000-0000-4000-8000-000000000000";

async function rate(label, n, op) {
  for (let i = 0; i < Math.min(200, n); i++) await op(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  const ms = performance.now() - t0;
  return { label, perSecond: (n / ms) * 1000, usEach: (ms * 1000) / n };
}

async function startedStream() {
  await ff.createExecution();
  return ff.claim({ workerId: "bench", leaseTtlMs: 600_000 });
}

const baseline = await rate("baseline: readSummary of a missing stream", 20_000, () => ff.readSummary(missing, 0));
const results = [baseline];

let h = await startedStream();
const payload = "x".repeat(100);
results.push(await rate("appendFrame durable, 100 B", 20_000, () => ff.appendFrame(h, { payload })));
const bytes = new Uint8Array(1024).map((_, i) => (i * 37) & 0xff);
results.push(await rate("appendFrame durable, 1 KiB binary", 10_000, () => ff.appendFrame(h, { payload: bytes })));
h = await startedStream();
results.push(await rate("appendFrame summary patch", 10_000, (i) => ff.appendFrame(h, { payload: `{"step":${i},"ok":true}`, mode: "summary" })));
h = await startedStream();
results.push(await rate("appendFrame best-effort (ttl 5 s)", 20_000, () => ff.appendFrame(h, { payload, mode: { bestEffort: { ttlMs: 5000 } } })));
const full = h.executionId;
h = await startedStream();
for (let i = 0; i < 1000; i++) await ff.appendFrame(h, { payload });
results.push(await rate("readStream, 100 frames", 2_000, () => ff.readStream(h.executionId, 0, { limit: 100 })));
void full;

console.log("operation                                   ops/s      µs/op   × baseline time");
for (const r of results) {
  const ratio = r.usEach / baseline.usEach;
  console.log(`${r.label.padEnd(42)} ${r.perSecond.toFixed(0).padStart(8)} ${r.usEach.toFixed(1).padStart(10)} ${ratio.toFixed(2).padStart(12)}`);
}

// Tail wake-up: a tail is parked on its stream; time from calling appendFrame to the tail's
// next() resolving with that frame. Baseline: a setTimeout(0) round trip in the same process.
async function wakeLatencies(samples) {
  const handle = await startedStream();
  const it = ff.tail(handle.executionId, 0)[Symbol.asyncIterator]();
  const out = [];
  for (let i = 0; i < samples; i++) {
    const next = it.next();
    await new Promise((r) => setTimeout(r, 1)); // let the tail park
    const t0 = performance.now();
    await ff.appendFrame(handle, { payload: `p${i}` });
    const { value } = await next;
    out.push(performance.now() - t0);
    if (value.fields.payload !== `p${i}`) throw new Error("tail out of order");
  }
  await it.return();
  return out;
}
async function timerLatencies(samples) {
  const out = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 0));
    out.push(performance.now() - t0);
  }
  return out;
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const wake = await wakeLatencies(500);
const timer = await timerLatencies(500);
console.log("\ntail wake-up (append call -> tail next() resolved), 500 samples:");
console.log(`  median ${(pct(wake, 0.5) * 1000).toFixed(0)} µs, p95 ${(pct(wake, 0.95) * 1000).toFixed(0)} µs, max ${(Math.max(...wake) * 1000).toFixed(0)} µs`);
console.log(`  baseline setTimeout(0) round trip: median ${(pct(timer, 0.5) * 1000).toFixed(0)} µs (wake-up = ${(pct(wake, 0.5) / pct(timer, 0.5)).toFixed(2)} × baseline)`);
console.log(`  waiters left: ${await ff.waiterCount()}`);
await ff.close();
