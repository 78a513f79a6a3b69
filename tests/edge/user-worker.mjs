// A user's own Cloudflare Worker: it imports "ff-backend-wasm" by name and never calls
// initSync. Bundled the way wrangler bundles (the "workerd" export condition, .wasm kept as
// a module import) by tests/js/edge.test.mjs, then run in workerd.
import { open, Backend } from "ff-backend-wasm";

export default {
  async fetch() {
    const ff = await open();
    const { executionId } = await ff.createExecution({ payload: "edge" });
    const handle = await ff.claim({ workerId: "edge-worker" });
    await ff.appendFrame(handle, { payload: "hello from the workerd condition" });
    await ff.complete(handle);
    const frames = [];
    for await (const frame of ff.tail(executionId, 0)) frames.push(frame.fields.payload);
    return Response.json({ frames, isBackend: ff instanceof Backend });
  },
};
