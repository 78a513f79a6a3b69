// The package inside workerd (Cloudflare's runtime, through miniflare): initSync with the
// imported .wasm module, a full claim/stream/complete round, and OPFS refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, relative, resolve } from "node:path";
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";

const root = fileURLToPath(new URL("../..", import.meta.url));
const modulesRules = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

async function fetchJson(scriptPath) {
  const mf = new Miniflare({ modules: true, modulesRoot: root, scriptPath, modulesRules, compatibilityDate: "2025-07-01" });
  try {
    return await (await mf.dispatchFetch("http://localhost/")).json();
  } finally {
    await mf.dispose();
  }
}

/** Keeps `.wasm` imports as module imports (workerd compiles them), re-pointed from the bundle. */
const wasmModules = (outdir) => ({
  name: "wasm-modules",
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, (args) => ({
      path: relative(outdir, resolve(args.resolveDir, args.path)),
      external: true,
    }));
  },
});

test("runs in workerd after initSync({ module })", async () => {
  const body = await fetchJson(fileURLToPath(new URL("../edge/worker.mjs", import.meta.url)));
  assert.deepEqual(body.frames, ["hello from workerd", '{"done":true}']);
  assert.equal(body.state, "completed");
  assert.deepEqual(body.summary, { done: true });
  assert.equal(body.opfs, "true storage_unavailable");
});

test("a Worker importing \"ff-backend-wasm\" gets the workerd entry, with no initSync", async () => {
  // Bundled as wrangler does: the workerd export condition, and .wasm left as a module import.
  const out = join(root, "target", "edge-bundle");
  await mkdir(out, { recursive: true });
  try {
    await build({
      entryPoints: [join(root, "tests", "edge", "user-worker.mjs")],
      outfile: join(out, "worker.mjs"),
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      plugins: [wasmModules(out)],
      logLevel: "silent",
    });
    const body = await fetchJson(join(out, "worker.mjs"));
    assert.deepEqual(body, { frames: ["hello from the workerd condition"], isBackend: true });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
