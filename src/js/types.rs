//! TypeScript shapes of every option and result (API.md), emitted into the generated `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export interface OpenOptions {
  /** "memory" (default) or "opfs" (a browser dedicated Worker only). */
  storage?: "memory" | "opfs";
  /** Database name: the OPFS file, or a label for memory. Default "flowfabric.db". */
  name?: string;
  /** Bytes from exportImage(): open a memory database with that content. */
  image?: Uint8Array;
  /** Clock in Unix milliseconds; lease expiry, backoff, frame ids and timestamps read it. */
  now?: () => number;
}

export type Backoff =
  | { type: "fixed"; delayMs: number }
  | { type: "exponential"; initialDelayMs: number; maxDelayMs: number; multiplier: number };

export interface RetryPolicy { maxRetries: number; backoff?: Backoff }

export interface CreateExecutionSpec {
  executionId?: string;
  lane?: string;
  priority?: number;
  capabilities?: string[];
  payload?: string | Uint8Array;
  namespace?: string;
  kind?: string;
  tags?: Record<string, string>;
  delayUntilMs?: number;
  retryPolicy?: RetryPolicy;
}

export type LifecyclePhase = "runnable" | "active" | "terminal";
export type PublicState = "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";
export type TerminalOutcome = "success" | "failed" | "cancelled";

export interface ExecutionInfo {
  executionId: string;
  lane: string;
  namespace: string;
  kind: string;
  priority: number;
  attemptIndex: number;
  lifecyclePhase: LifecyclePhase;
  publicState: PublicState;
  terminalOutcome: TerminalOutcome | null;
  createdAtMs: number;
  startedAtMs: number | null;
  terminalAtMs: number | null;
  delayUntilMs: number | null;
  progress: { percent?: number; message?: string };
  payload: Uint8Array | null;
  result: Uint8Array | null;
  lastFailure: string | null;
  leaseReclaimCount: number;
  tags: Record<string, string>;
}

export interface ClaimOptions {
  lane?: string;
  capabilities?: string[];
  workerId: string;
  workerInstanceId?: string;
  leaseTtlMs?: number;
}

export interface Handle {
  executionId: string;
  attemptIndex: number;
  leaseEpoch: number;
  kind: "fresh" | "reclaimed";
  token: string;
}

export type FailureClassification = "transient" | "infra_crash" | "permanent" | "timeout" | "cancelled";
export interface FailureInfo { message: string; classification?: FailureClassification }
export type FailOutcome =
  | { outcome: "retry_scheduled"; delayUntilMs: number; nextAttemptIndex: number }
  | { outcome: "terminal_failed" };

export type StreamMode = "durable" | "summary" | { bestEffort: { ttlMs: number } };
export interface FrameInput {
  payload: string | Uint8Array;
  kind?: "stdout" | "stderr" | "event" | "blob";
  frameType?: string;
  correlationId?: string;
  mode?: StreamMode;
}
export interface AppendResult { id: string; frameCount: number; summaryVersion: number | null }

export interface Frame {
  id: string;
  mode: "durable" | "summary" | "best_effort";
  fields: {
    frame_type: string;
    payload: string;
    encoding: "utf8" | "base64";
    source: "worker";
    correlation_id?: string;
  };
}
export interface StreamFrames { frames: Frame[]; closedAtMs: number | null; closedReason: string | null }

export type Visibility = "all" | "exclude_best_effort";
export interface ReadStreamOptions { from?: string; to?: string; limit?: number }
export interface TailStreamOptions { after: string; blockMs?: number; limit?: number; visibility?: Visibility }
export interface TailOptions { after?: string; visibility?: Visibility; limit?: number; signal?: AbortSignal }

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export interface Summary { document: JsonValue; version: number; firstAppliedMs: number; lastUpdatedMs: number }
"#;
