// A static file server for the browser tests: serves the repository on 127.0.0.1 with the
// MIME types module scripts and wasm need. Loopback only; closed by the test.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

/**
 * Serves the repository. Every answer allows cross-origin reads (a second server can import the
 * package from this one); pages named `*.csp.html` forbid workers by Content-Security-Policy.
 */
export async function serve() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path.includes("..")) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(join(root, path === "/" ? "/www/index.html" : path));
      const headers = {
        "content-type": types[extname(path)] ?? "application/octet-stream",
        "cache-control": "no-store",
        "access-control-allow-origin": "*",
      };
      if (path.endsWith(".csp.html")) headers["content-security-policy"] = "worker-src 'none'";
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
