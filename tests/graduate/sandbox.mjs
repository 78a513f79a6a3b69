// Builds a sandbox database through the package, as a user would, and exports it to a file for
// ff-graduate's tests. Prints a JSON manifest: which execution is in which state.
//
//   node tests/graduate/sandbox.mjs OUT.sqlite [--skew-ms N] [--live-lease]
//
// The injected clock is real time plus a skew the script moves forward (by seconds) to let
// backoffs, delays and leases run out; --skew-ms starts it elsewhere (a far clock).
import { open } from "ff-backend-wasm";
import { writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const out = args[0];
const skewAt = args.indexOf("--skew-ms");
let skew = skewAt >= 0 ? Number(args[skewAt + 1]) : 0;
const now = () => Date.now() + skew;
const ff = await open({ now });
const ids = {};
const worker = { workerId: "sandbox-worker", workerInstanceId: "sandbox-worker-1" };
const create = async (name, spec) => (ids[name] = (await ff.createExecution(spec)).executionId);
const claim = (lane, extra = {}) => ff.claim({ ...worker, lane, ...extra });

// Completed, with durable frames, summary patches, a best-effort frame, bytes that are not
// UTF-8, a payload holding U+0000, a stderr frame with a correlation id, and a result.
await create("completed", {
  lane: "images", priority: 5, payload: "resize photo 17",
  tags: { customer: "acme", "cairn.instance_id": "i-1" }, kind: "resize",
});
let h = await claim("images");
for (let i = 0; i < 40; i++) await ff.appendFrame(h, { payload: `line ${i}` });
await ff.appendFrame(h, { payload: JSON.stringify({ pct: 10, stage: "fetch" }), mode: "summary" });
await ff.appendFrame(h, { payload: JSON.stringify({ pct: 90, stage: null, sizes: [1, 2] }), mode: "summary" });
await ff.appendFrame(h, { payload: "tick", mode: { bestEffort: { ttlMs: 3_600_000 } } });
await ff.appendFrame(h, { payload: new Uint8Array([0xff, 0x00, 0xfe]), kind: "blob" });
await ff.appendFrame(h, { payload: "nul\u0000inside" });
await ff.appendFrame(h, { payload: "warning", kind: "stderr", correlationId: "req-9" });
await ff.progress(h, { percent: 100, message: "done" });
await ff.complete(h, "photo-17.webp");

// Failed after two retries: three attempts, each with a frame.
await create("failed", { lane: "images", retryPolicy: { maxRetries: 2, backoff: { type: "fixed", delayMs: 10 } } });
for (let attempt = 0; attempt < 3; attempt++) {
  skew += 20;
  h = await claim("images");
  await ff.appendFrame(h, { payload: `attempt ${attempt}` });
  await ff.fail(h, { message: `upstream 503 (${attempt})`, classification: "transient" });
}

// Cancelled mid-run by an operator, and cancelled before it ever ran.
await create("cancelled", { lane: "images" });
h = await claim("images");
await ff.appendFrame(h, { payload: "started" });
await ff.cancel(ids.cancelled, "no longer needed");
await create("cancelledWaiting", { lane: "reports" });
await ff.cancel(ids.cancelledWaiting, "duplicate");

// On the default lane: waiting ones (the highest priority first, one needing a GPU), one
// delayed by two hours, one whose delay has passed, one interrupted by an expired lease, and
// one waiting out a retry backoff of an hour.
await create("interrupted", {});
h = await claim("default", { leaseTtlMs: 1_000 });
await ff.appendFrame(h, { payload: "before the crash" });
await create("waiting", { priority: 10, payload: "next up", tags: { customer: "zeta" } });
await create("waitingGpu", { priority: 1, capabilities: ["gpu"] });
await create("due", { delayUntilMs: now() + 1_000 });
await create("delayed", { delayUntilMs: now() + 2 * 3_600_000 });
await create("retrying", { lane: "batch", retryPolicy: { maxRetries: 1, backoff: { type: "fixed", delayMs: 3_600_000 } } });
h = await claim("batch");
await ff.fail(h, { message: "try later", classification: "transient" });
skew += 2_000;
if ((await ff.reclaimExpired()) !== 1) throw new Error("the interrupted execution's lease did not expire");

if (args.includes("--live-lease")) {
  await create("live", { lane: "live" });
  await claim("live", { leaseTtlMs: 3_600_000 });
}

writeFileSync(out, await ff.exportImage());
const delayed = await ff.getExecution(ids.delayed);
console.log(JSON.stringify({ ids, delayUntilMs: delayed.delayUntilMs }));
await ff.close();
