// ff-backend-wasm for Cloudflare Workers / workerd (the "workerd" export condition): imports the
// .wasm as a compiled module, as workerd provides it, and hands it over before any open().
import wasm from "../dist/wasm/ff_backend_wasm_bg.wasm";
import { initSync, makeOpen } from "./api.js";

initSync({ module: wasm });

export { Backend, initSync } from "./api.js";
export { FlowFabricError } from "./error.js";
export { openInWorker } from "./proxy.js";

export const open = makeOpen(() => {
  throw new Error("unreachable: the module was handed over at import");
});
