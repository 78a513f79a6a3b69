// `npm run edge`: the edge sandbox in workerd, offline, with its data kept in .edge-data/ (so a
// restart keeps it). Prints the URL; Ctrl-C stops it. FF_API_TOKEN and FF_CORS_ORIGINS in the
// environment are passed to the Worker.
import { sandboxRuntime } from "./miniflare.mjs";
import { fileURLToPath } from "node:url";

const persist = fileURLToPath(new URL("../../.edge-data", import.meta.url));
const bindings = {};
for (const name of ["FF_API_TOKEN", "FF_CORS_ORIGINS"]) if (process.env[name]) bindings[name] = process.env[name];
const mf = sandboxRuntime({ persist, port: Number(process.env.PORT ?? 8787), bindings });
const url = await mf.ready;
console.log(`\nThe edge sandbox is at ${url.origin} (data in .edge-data/; Ctrl-C stops it)`);
console.log(bindings.FF_API_TOKEN ? "Requests need Authorization: Bearer <FF_API_TOKEN>." : "No FF_API_TOKEN: the sandbox is open to anyone who can reach it.");
console.log(`Try: curl -s ${url.origin}/healthz`);
process.on("SIGINT", async () => {
  await mf.dispose();
  process.exit(0);
});
