// The error every rejection carries. Errors are made inside wasm (and rebuilt after crossing
// postMessage), so `instanceof` recognises any Error named "FlowFabricError".

export class FlowFabricError extends Error {
  /**
   * @param {string} message
   * @param {{ kind?: string, code?: string, retryable?: boolean }} [details]
   */
  constructor(message, { kind = "storage", code = "io", retryable = false } = {}) {
    super(message);
    this.name = "FlowFabricError";
    this.kind = kind;
    this.code = code;
    this.retryable = retryable;
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "FlowFabricError";
  }
}

/** Plain data for postMessage (structured clone drops custom error names). */
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
