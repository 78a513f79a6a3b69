// End-to-end demo on the in-memory default: a producer creates executions, two workers claim
// them under leases, stream output and summary patches, and complete, fail (with retries) or
// get cancelled; a live tail follows one execution. Prints what happened; exits 1 if the
// final states are not the expected ones.
import { open } from "ff-backend-wasm";

const ff = await open();
const log = (...args) => console.log(new Date().toISOString().slice(11, 23), ...args);

const jobs = [
  { name: "resize-images", priority: 5, plan: ["ok"] },
  { name: "send-report", priority: 1, plan: ["transient", "ok"] },
  { name: "sync-inventory", priority: 3, plan: ["transient", "transient", "transient"] },
  { name: "parse-upload", priority: 0, plan: ["permanent"] },
  { name: "train-model", priority: 2, capabilities: ["gpu"], plan: ["ok"] },
  { name: "nightly-backup", priority: 9, delayMs: 150, plan: ["ok"] },
  { name: "long-export", priority: 0, plan: ["cancel"] },
];
const retryPolicy = { maxRetries: 2, backoff: { type: "fixed", delayMs: 40 } };
const byId = new Map();
for (const job of jobs) {
  const { executionId } = await ff.createExecution({
    kind: job.name,
    priority: job.priority,
    capabilities: job.capabilities,
    payload: JSON.stringify({ job: job.name }),
    delayUntilMs: job.delayMs ? Date.now() + job.delayMs : undefined,
    retryPolicy,
  });
  byId.set(executionId, { ...job, attempt: 0 });
  log(`created ${job.name.padEnd(15)} ${executionId} priority=${job.priority}`);
}

// A live tail on the job that retries once: prints its first attempt's frames as they land.
const [watchedId] = [...byId].find(([, j]) => j.name === "send-report");
const tailDone = (async () => {
  for await (const frame of ff.tail(watchedId, 0)) {
    log(`  tail ${frame.id} ${frame.mode.padEnd(7)} ${frame.fields.payload}`);
  }
  log("  tail: stream closed");
})();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function work(workerId, capabilities) {
  let idle = 0;
  while (idle < 15) {
    const handle = await ff.claim({ workerId, capabilities, leaseTtlMs: 5_000 });
    if (!handle) {
      idle++;
      await sleep(25);
      continue;
    }
    idle = 0;
    const job = byId.get(handle.executionId);
    const step = job.plan[Math.min(job.attempt++, job.plan.length - 1)];
    log(`${workerId} claimed ${job.name} attempt=${handle.attemptIndex} (${handle.kind})`);
    await ff.appendFrame(handle, { payload: `starting ${job.name}` });
    for (let pct = 25; pct <= 75; pct += 25) {
      await ff.appendFrame(handle, { payload: JSON.stringify({ pct }), mode: "summary" });
      await ff.progress(handle, { percent: pct, message: `step ${pct / 25}` });
      await sleep(5);
    }
    if (step === "ok") {
      await ff.appendFrame(handle, { payload: "done", kind: "event" });
      await ff.complete(handle, JSON.stringify({ ok: true }));
      log(`${workerId} completed ${job.name}`);
    } else if (step === "cancel") {
      await ff.cancel(handle.executionId, "operator stopped it");
      log(`${workerId} saw ${job.name} cancelled by an operator`);
    } else {
      const outcome = await ff.fail(handle, { message: `${step} failure`, classification: step });
      log(`${workerId} failed ${job.name}: ${JSON.stringify(outcome)}`);
    }
  }
}

await Promise.all([work("worker-a", []), work("worker-b", ["gpu"])]);
await tailDone;

const expected = {
  "resize-images": "completed",
  "send-report": "completed",
  "sync-inventory": "failed",
  "parse-upload": "failed",
  "train-model": "completed",
  "nightly-backup": "completed",
  "long-export": "cancelled",
};
console.log("\nexecution        state      attempts  last failure");
let wrong = 0;
for (const [id, job] of byId) {
  const info = await ff.getExecution(id);
  const summary = await ff.readSummary(id, info.attemptIndex);
  const ok = info.publicState === expected[job.name];
  wrong += ok ? 0 : 1;
  console.log(
    `${job.name.padEnd(16)} ${info.publicState.padEnd(10)} ${String(info.attemptIndex + 1).padEnd(9)} ` +
      `${info.lastFailure ?? "-"}${ok ? "" : `   <-- expected ${expected[job.name]}`}` +
      (summary ? `   summary v${summary.version} ${JSON.stringify(summary.document)}` : ""),
  );
}
const image = await ff.exportImage();
console.log(`\ndatabase image: ${image.length} bytes; tail waiters left: ${await ff.waiterCount()}`);
await ff.close();
if (wrong) {
  console.error(`${wrong} execution(s) ended in an unexpected state`);
  process.exit(1);
}
console.log("demo finished: every execution ended as expected");
