// ff-backend-wasm for Node >= 20 (also Deno and Bun): reads the .wasm from disk on first open().
import { readFile } from "node:fs/promises";
import { makeOpen, wasmUrl } from "./api.js";

export { Backend, initSync } from "./api.js";
export { FlowFabricError } from "./error.js";
export { openInWorker } from "./proxy.js";

export const open = makeOpen(() => readFile(wasmUrl()));
