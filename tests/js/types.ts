// Compiled with `tsc --noEmit` (npm run test:types): the public types accept real usage and
// reject misuse (each @ts-expect-error must be an error, or tsc fails).
import {
  open, openInWorker, Backend, FlowFabricError,
  type CompletionEvent, type ExecutionPage, type Frame, type Handle, type LeaseEvent,
} from "ff-backend-wasm";

async function usage(): Promise<void> {
  const ff: Backend = await open({ storage: "memory", now: () => Date.now() });
  const { executionId, created } = await ff.createExecution({
    lane: "default",
    priority: 1,
    payload: new Uint8Array([1]),
    retryPolicy: { maxRetries: 2, backoff: { type: "fixed", delayMs: 10 } },
  });
  const ok: boolean = created;
  if (!(ff instanceof Backend)) throw new Error("open() returns a Backend");
  const proxied: Backend = await openInWorker({ storage: "opfs", name: "types.db" });
  void proxied;
  const shared = await openInWorker({ storage: "opfs", name: "types.db", shared: true, leaderWaitMs: 5_000 });
  const role: "leader" | "follower" | "electing" | "exclusive" = shared.leadership.role;
  shared.leadership.addEventListener("change", () => void shared.leadership.leader);
  void role;
  // @ts-expect-error shared is a boolean
  await openInWorker({ storage: "opfs", shared: "yes" });
  await ff.createExecution({ payload: new ArrayBuffer(8) });
  await ff.createExecution();
  const page: ExecutionPage = await ff.listExecutions({ lane: "default", publicState: "waiting", limit: 10 });
  const cursor: string | null = page.nextCursor;
  for await (const event of ff.completions({ after: "0", lane: "default" })) {
    const e: CompletionEvent = event;
    const outcome: "success" | "failed" | "cancelled" = e.outcome;
    void outcome;
    break;
  }
  for await (const event of ff.leaseHistory({ executionId })) {
    const e: LeaseEvent = event;
    const kind: "acquired" | "renewed" | "revoked" | "reclaimed" | "expired" = e.event;
    void kind;
    break;
  }
  const waiting: number = await ff.waiterCount();
  void cursor; void waiting;
  const handle: Handle | null = await ff.claim({ workerId: "w" });
  if (!handle) return;
  const appended = await ff.appendFrame(handle, { payload: "x", mode: { bestEffort: { ttlMs: 1000 } } });
  await ff.appendFrame(handle, { payload: new Uint8Array([0xff]).buffer });
  await ff.complete(handle.token, new ArrayBuffer(2));
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
  const terminal: "success" | "failed" | "cancelled" | null | undefined = info?.terminalOutcome;
  const tag: string | undefined = info?.tags["k"];
  void terminal; void tag;
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
  // @ts-expect-error listExecutions filters by the public states only
  await ff.listExecutions({ publicState: "running" });
  // @ts-expect-error the classification is a closed set
  await ff.fail(handle, { message: "m", classification: "oops" });
  void ok; void version; void state;
}
void usage;
