// Public types of ff-backend-wasm. The Backend class, every result record and every option
// shape are generated from the Rust facade into dist/wasm/ff_backend_wasm.d.ts (records from
// src/model/results.rs, options from src/js/types.rs, the class from src/js/backend.rs); this
// file adds only the loaders and FlowFabricError.
import type { Backend, OpenOptions, SyncInitInput } from "../dist/wasm/ff_backend_wasm.js";

export { Backend } from "../dist/wasm/ff_backend_wasm.js";
export type * from "../dist/wasm/ff_backend_wasm.js";

export type ErrorKind = "validation" | "not_found" | "contention" | "state" | "storage";
export type ErrorCode =
  | "invalid_input" | "corruption" | "handle_from_other_backend" | "retention_limit_exceeded"
  | "execution" | "attempt"
  | "lease_conflict" | "execution_not_active"
  | "stale_lease" | "lease_expired" | "lease_revoked" | "stream_closed" | "closed"
  | "storage_unavailable" | "storage_busy" | "storage_full" | "io";

/** The class of every rejection (also of errors that crossed from openInWorker's worker). */
export declare class FlowFabricError extends Error {
  constructor(message: string, details?: { kind?: ErrorKind; code?: ErrorCode; retryable?: boolean; cause?: unknown });
  readonly name: "FlowFabricError";
  kind: ErrorKind;
  code: ErrorCode;
  retryable: boolean;
}

/** Opens a database. Node >= 20, Deno, Bun, browsers and workers load the wasm module themselves. */
export declare function open(options?: OpenOptions): Promise<Backend>;

/** On a page's main thread: the same Backend, run in the package's own dedicated Worker. */
export declare function openInWorker(options?: Omit<OpenOptions, "now">): Promise<Backend>;

/** Edge runtimes without the "workerd" export condition: hand over the compiled module once. */
export declare function initSync(options: { module: SyncInitInput }): void;
