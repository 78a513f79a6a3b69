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

/** Which tab leads a database shared by openInWorker; fires `change` when that changes. */
export interface Leadership extends EventTarget {
  /** "leader": this tab holds the database; "follower": another tab does; "electing": between
   *  leaders; "exclusive": not shared. */
  readonly role: "leader" | "follower" | "electing" | "exclusive";
  /** This tab's id among the tabs sharing the database (null when not shared). */
  readonly tab: string | null;
  /** The leading tab's id (null while electing, or when not shared). */
  readonly leader: string | null;
}

export interface WorkerOptions extends Omit<OpenOptions, "now"> {
  /** Every tab of the origin works on the same database, one of them leading. Default: true
   *  for "opfs" (only "opfs" can be shared). */
  shared?: boolean;
  /** How long a call waits for a leading tab before it rejects storage_busy. Default 10000. */
  leaderWaitMs?: number;
}

/** On a page's main thread: the same Backend, run in the package's own dedicated Worker. */
export declare function openInWorker(options?: WorkerOptions): Promise<Backend & { readonly leadership: Leadership }>;

/** Edge runtimes without the "workerd" export condition: hand over the compiled module once. */
export declare function initSync(options: { module: SyncInitInput }): void;
