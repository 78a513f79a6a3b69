// The package inside workerd (Cloudflare's runtime, through miniflare): initSync with the
// imported .wasm module, a full claim/stream/complete round, and OPFS refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

test("runs in workerd after initSync({ module })", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const mf = new Miniflare({
    modules: true,
    modulesRoot: root,
    scriptPath: fileURLToPath(new URL("../edge/worker.mjs", import.meta.url)),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-07-01",
  });
  try {
    const response = await mf.dispatchFetch("http://localhost/");
    const body = await response.json();
    assert.deepEqual(body.frames, ["hello from workerd", '{"done":true}']);
    assert.equal(body.state, "completed");
    assert.deepEqual(body.summary, { done: true });
    assert.equal(body.opfs, "true storage_unavailable");
  } finally {
    await mf.dispose();
  }
});
