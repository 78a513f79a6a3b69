//! TypeScript shapes of the options users pass in (docs/API.md). Result shapes are not here:
//! tsify derives them from the records in `src/model/results.rs`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Bytes or text: strings are stored as UTF-8. */
export type Payload = string | Uint8Array | ArrayBuffer;

export interface OpenOptions {
  /** "memory" (default) or "opfs" (a browser dedicated Worker only). */
  storage?: "memory" | "opfs";
  /** Database name: the OPFS file, or a label for memory. Default "flowfabric.db". */
  name?: string;
  /** Bytes from exportImage(): open a memory database with that content. */
  image?: Uint8Array | ArrayBuffer;
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
  payload?: Payload;
  namespace?: string;
  kind?: string;
  tags?: Record<string, string>;
  delayUntilMs?: number;
  retryPolicy?: RetryPolicy;
}

export interface ListExecutionsOptions {
  lane?: string;
  publicState?: PublicState;
  /** The `nextCursor` of the previous page. */
  after?: string;
  /** 1..=1000, default 100. */
  limit?: number;
}

export interface ClaimOptions {
  lane?: string;
  capabilities?: string[];
  workerId: string;
  workerInstanceId?: string;
  leaseTtlMs?: number;
}

export interface ProgressInput { percent?: number; message?: string }

export type FailureClassification = "transient" | "infra_crash" | "permanent" | "timeout" | "cancelled";
export interface FailureInfo { message: string; classification?: FailureClassification }

export type StreamMode = "durable" | "summary" | { bestEffort: { ttlMs: number } };
export interface FrameInput {
  payload: Payload;
  kind?: "stdout" | "stderr" | "event" | "blob";
  frameType?: string;
  correlationId?: string;
  mode?: StreamMode;
}

export type Visibility = "all" | "exclude_best_effort";
export interface ReadStreamOptions { from?: string; to?: string; limit?: number }
export interface TailStreamOptions { after: string; blockMs?: number; limit?: number; visibility?: Visibility }
export interface TailOptions { after?: string; visibility?: Visibility; limit?: number; signal?: AbortSignal }

/** `after` absent: events from now on; "0": every event, then live; else a `cursor` seen. */
export interface CompletionsOptions { after?: string; lane?: string; namespace?: string; signal?: AbortSignal }
export interface LeaseHistoryOptions { after?: string; executionId?: string; signal?: AbortSignal }

/**
 * What `tail()`, `completions()` and `leaseHistory()` return: an async iterator for
 * `for await`. `return()` (what `break` calls) releases its waiter at once; an aborted
 * `signal` rejects a pending `next()` with an `AbortError`.
 */
export interface FollowerOf<T> extends AsyncIterableIterator<T> {
  next(): Promise<IteratorResult<T, undefined>>;
  return(): Promise<IteratorResult<T, undefined>>;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
"#;
