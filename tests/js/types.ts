// Compiled with `tsc --noEmit` (npm run test:types): the public types accept real usage and
// reject misuse (each @ts-expect-error must be an error, or tsc fails).
import { open, FlowFabricError, type Backend, type Frame, type Handle } from "ff-backend-wasm";

async function usage(): Promise<void> {
  const ff: Backend = await open({ storage: "memory", now: () => Date.now() });
  const { executionId, created } = await ff.createExecution({
    lane: "default",
    priority: 1,
    payload: new Uint8Array([1]),
    retryPolicy: { maxRetries: 2, backoff: { type: "fixed", delayMs: 10 } },
  });
  const ok: boolean = created;
  const handle: Handle | null = await ff.claim({ workerId: "w" });
  if (!handle) return;
  const appended = await ff.appendFrame(handle, { payload: "x", mode: { bestEffort: { ttlMs: 1000 } } });
  const version: number | null = appended.summaryVersion;
  const outcome = await ff.fail(handle, { message: "m", classification: "transient" });
  if (outcome.outcome === "retry_scheduled") {
    const next: number = outcome.nextAttemptIndex;
  }
  for await (const frame of ff.tail(executionId, 0, { after: "0-0", signal: AbortSignal.timeout(10) })) {
    const f: Frame = frame;
    const encoding: "utf8" | "base64" = f.fields.encoding;
  }
  const info = await ff.getExecution(executionId);
  const state: "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled" | undefined = info?.publicState;
  try {
    await ff.close();
  } catch (e) {
    if (e instanceof FlowFabricError) {
      const code: string = e.code;
    }
  }
  // @ts-expect-error workerId is required
  await ff.claim({});
  // @ts-expect-error modes are a closed set
  await ff.appendFrame(handle, { payload: "x", mode: "loud" });
  // @ts-expect-error the classification is a closed set
  await ff.fail(handle, { message: "m", classification: "oops" });
  void ok; void version; void state;
}
void usage;
