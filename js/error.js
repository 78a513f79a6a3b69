// The class of every rejection. The wasm module builds its errors with this class (js/api.js
// registers it at load) and errors that crossed postMessage are rebuilt as instances of it.

export class FlowFabricError extends Error {
  /**
   * @param {string} message
   * @param {{ kind?: string, code?: string, retryable?: boolean, cause?: unknown }} [details]
   */
  constructor(message, { kind = "storage", code = "io", retryable = false, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "FlowFabricError";
    this.kind = kind;
    this.code = code;
    this.retryable = retryable;
  }
}

/** Plain data for postMessage (structured clone drops custom error classes). */
export function errorToData(error) {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, kind: error.kind, code: error.code, retryable: error.retryable };
  }
  return { name: "Error", message: String(error) };
}

/** Rebuilds an error sent by `errorToData`. */
export function errorFromData(data) {
  if (data.name === "FlowFabricError") return new FlowFabricError(data.message, data);
  if (data.name === "AbortError") return new DOMException(data.message, "AbortError");
  const error = new Error(data.message);
  error.name = data.name;
  return error;
}
