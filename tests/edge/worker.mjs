// A Cloudflare Worker (run in workerd by tests/js/edge.test.mjs): the package loaded with
// initSync from the imported .wasm module, a memory database per isolate.
import { initSync, open, FlowFabricError } from "../../js/index.js";
import wasm from "../../dist/wasm/ff_backend_wasm_bg.wasm";

initSync({ module: wasm });

export default {
  async fetch() {
    const ff = await open();
    const { executionId } = await ff.createExecution({ payload: "edge" });
    const handle = await ff.claim({ workerId: "edge-worker" });
    await ff.appendFrame(handle, { payload: "hello from workerd" });
    await ff.appendFrame(handle, { payload: '{"done":true}', mode: "summary" });
    await ff.complete(handle);
    const frames = [];
    for await (const frame of ff.tail(executionId, 0)) frames.push(frame.fields.payload);
    const opfs = await open({ storage: "opfs" }).then(() => "opened?!", (e) => `${e instanceof FlowFabricError} ${e.code}`);
    const info = await ff.getExecution(executionId);
    return Response.json({ frames, state: info.publicState, summary: (await ff.readSummary(executionId, 0)).document, opfs });
  },
};
