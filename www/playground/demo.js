// "Run demo": a handful of executions that show the engine's main behaviours, and the demo
// workers that run them. Expected ends: four completed, one failed after its retries, one
// cancelled mid-run.
import { splitList } from "./workers.js";

const FIXED = (delayMs) => ({ type: "fixed", delayMs });

/** Creates the demo's executions and starts its workers; resolves the first execution's id. */
export async function runDemo(ctx, workers) {
  const now = Date.now();
  const specs = [
    { lane: "stories", priority: 5, payload: "The lighthouse at the end of the pier" },
    { lane: "stories", priority: 1, payload: "A map of the salt marsh" },
    { lane: "stories", priority: 3, payload: "Glass gears (needs a GPU worker)", capabilities: ["gpu"] },
    { lane: "stories", priority: 2, payload: "The bells at dawn (starts in 3 s)", delayUntilMs: now + 3000 },
    { lane: "ops", priority: 4, payload: JSON.stringify({ title: "Flaky upstream (fails, retries, gives up)", fail: true }),
      retryPolicy: { maxRetries: 2, backoff: FIXED(800) } },
    { lane: "ops", priority: 1, payload: "A very long export (cancelled mid-run)" },
  ];
  const ids = [];
  for (const spec of specs) ids.push(await ctx.create(spec));
  cancelMidRun(ctx, ids[5]);
  if (!workers.running("stories", [])) workers.start("stories");
  if (!workers.running("stories", ["gpu"])) workers.start("stories", splitList("gpu"));
  if (!workers.running("ops", [])) workers.start("ops");
  return ids[0];
}

/** Waits until the execution has streamed a few frames, then cancels it as an operator would. */
async function cancelMidRun(ctx, executionId) {
  let seen = 0;
  try {
    for await (const frame of ctx.ff.tail(executionId, 0)) {
      if (frame.mode === "durable" && ++seen === 12) {
        await ctx.ff.cancel(executionId, "the demo cancelled it mid-run");
        break;
      }
    }
  } catch (error) {
    if (error.code !== "closed") throw error;
  }
}
