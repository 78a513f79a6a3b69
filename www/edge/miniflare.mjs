// The edge sandbox in workerd through Miniflare, configured as www/edge/wrangler.toml declares
// it (module rules, the SANDBOX binding of class Sandbox, SQLite-backed). Used by `npm run edge`
// and by the tests.
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * @param {{ persist?: string, port?: number, bindings?: Record<string, string> }} options
 *   persist: folder for the objects' storage (none: in memory); bindings: FF_API_TOKEN, FF_CORS_ORIGINS.
 */
export function sandboxRuntime({ persist, port, bindings = {} } = {}) {
  return new Miniflare({
    modules: true,
    modulesRoot: root,
    scriptPath: fileURLToPath(new URL("./worker.js", import.meta.url)),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-07-01",
    durableObjects: { SANDBOX: { className: "Sandbox", useSQLite: true } },
    ...(persist ? { durableObjectsPersist: persist } : {}),
    ...(port !== undefined ? { port, host: "127.0.0.1" } : {}),
    bindings,
  });
}
