// A small static file server for the playground and the browser tests: serves the repository
// root on loopback with the MIME types module scripts and wasm need. No COOP/COEP headers: the
// package does not need cross-origin isolation.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

/**
 * Serves the repository on `host:port` (port 0: any free port). `/` redirects to the playground.
 * Every answer allows cross-origin reads (the browser tests import the package from a second
 * origin); with `?csp=no-workers`, a page forbids workers by Content-Security-Policy.
 */
export async function serve({ port = 0, host = "127.0.0.1" } = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path.includes("..")) {
      res.writeHead(403).end();
      return;
    }
    if (path === "/" || path === "/www/playground") {
      res.writeHead(302, { location: "/www/playground/" }).end();
      return;
    }
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    try {
      const body = await readFile(join(root, file));
      const headers = {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
        "access-control-allow-origin": "*",
      };
      if (new URL(req.url, "http://x").searchParams.get("csp") === "no-workers") {
        headers["content-security-policy"] = "worker-src 'none'";
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host}:${server.address().port}`;
  return { origin, url: `${origin}/www/playground/`, close: () => new Promise((r) => server.close(r)) };
}
