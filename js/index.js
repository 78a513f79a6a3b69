// ff-backend-wasm for browsers, workers and edge runtimes: fetches the .wasm next to this file
// on first open(), unless initSync({ module }) handed it over (workerd forbids compiling bytes;
// its entry point, workerd.js, does that itself).
import { makeOpen, wasmUrl } from "./api.js";

export { Backend, initSync } from "./api.js";
export { FlowFabricError } from "./error.js";
export { openInWorker } from "./proxy.js";

export const open = makeOpen(wasmUrl);
