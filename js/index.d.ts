// Public types of ff-backend-wasm. Every record and option shape is generated from the Rust
// facade (src/js/types.rs) into dist/wasm/ff_backend_wasm.d.ts; this file adds the wrapper's
// own surface: open/openInWorker/initSync, FlowFabricError and the Backend with `tail`.
import type {
  AppendResult, ClaimOptions, CreateExecutionSpec, ExecutionInfo, FailOutcome, FailureInfo,
  Frame, FrameInput, Handle, OpenOptions, ReadStreamOptions, StreamFrames, Summary,
  SyncInitInput, TailOptions, TailStreamOptions,
} from "../dist/wasm/ff_backend_wasm.js";

export type {
  AppendResult, Backoff, ClaimOptions, CreateExecutionSpec, ExecutionInfo, FailOutcome,
  FailureClassification, FailureInfo, Frame, FrameInput, Handle, JsonValue, LifecyclePhase,
  OpenOptions, PublicState, ReadStreamOptions, RetryPolicy, StreamFrames, StreamMode, Summary,
  TailOptions, TailStreamOptions, TerminalOutcome, Visibility,
} from "../dist/wasm/ff_backend_wasm.js";

export type ErrorKind = "validation" | "not_found" | "contention" | "state" | "storage";
export type ErrorCode =
  | "invalid_input" | "corruption" | "handle_from_other_backend" | "retention_limit_exceeded"
  | "execution" | "attempt"
  | "lease_conflict" | "execution_not_active"
  | "stale_lease" | "lease_expired" | "lease_revoked" | "stream_closed" | "closed"
  | "storage_unavailable" | "storage_busy" | "storage_full" | "io";

/** Every rejection: `instanceof FlowFabricError` holds for any Error named "FlowFabricError". */
export declare class FlowFabricError extends Error {
  constructor(message: string, details?: { kind?: ErrorKind; code?: ErrorCode; retryable?: boolean });
  readonly name: "FlowFabricError";
  kind: ErrorKind;
  code: ErrorCode;
  retryable: boolean;
}

export interface Backend {
  readonly name: string;
  readonly storage: "memory" | "opfs";
  createExecution(spec?: CreateExecutionSpec): Promise<{ executionId: string; created: boolean }>;
  getExecution(executionId: string): Promise<ExecutionInfo | null>;
  claim(options: ClaimOptions): Promise<Handle | null>;
  renew(handle: Handle): Promise<{ leaseEpoch: number; expiresAtMs: number }>;
  progress(handle: Handle, progress: { percent?: number; message?: string }): Promise<void>;
  complete(handle: Handle, result?: string | Uint8Array): Promise<void>;
  fail(handle: Handle, failure: FailureInfo): Promise<FailOutcome>;
  cancel(target: Handle | string, reason?: string): Promise<void>;
  reclaimExpired(): Promise<number>;
  appendFrame(handle: Handle, frame: FrameInput): Promise<AppendResult>;
  readStream(executionId: string, attemptIndex: number, options?: ReadStreamOptions): Promise<StreamFrames>;
  tailStream(executionId: string, attemptIndex: number, options: TailStreamOptions): Promise<StreamFrames>;
  /** Every frame after `after` ("0-0"), in order; done once the stream is closed and drained. */
  tail(executionId: string, attemptIndex: number, options?: TailOptions): AsyncIterableIterator<Frame>;
  readSummary(executionId: string, attemptIndex: number): Promise<Summary | null>;
  exportImage(): Promise<Uint8Array>;
  /** Tail waiters currently registered (0 when no tail is waiting). */
  waiterCount(): number | Promise<number>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Opens a database. Node >= 20, browsers and workers load the wasm module themselves. */
export declare function open(options?: OpenOptions): Promise<Backend>;

/** On a page's main thread: the same API, run in the package's own dedicated Worker. */
export declare function openInWorker(options?: Omit<OpenOptions, "now">): Promise<Backend>;

/** Edge runtimes (workerd): hand over the compiled module once, before `open`. */
export declare function initSync(options: { module: SyncInitInput }): void;
