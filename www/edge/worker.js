// The edge sandbox's Worker: access control and CORS, then each request goes to the Durable
// Object of its sandbox — `/sandboxes/:name/...`, or the sandbox named `default` for the same
// paths without the prefix. `GET /healthz` answers here.
import { errorResponse, HttpError, json, MAX_BODY } from "./http.js";

export { Sandbox } from "./sandbox.js";

const PREFIX = /^\/sandboxes\/([^/]+)(\/.*)?$/;

/** Compares in constant time: both sides are hashed to equal-length digests first. */
async function sameSecret(given, expected) {
  const digest = async (text) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  if (crypto.subtle.timingSafeEqual) return crypto.subtle.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The token a request presents: the Bearer header, or `access_token` on event streams. */
function presentedToken(request, url) {
  const header = request.headers.get("authorization") ?? "";
  if (header.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
  const streams = request.headers.get("accept")?.includes("text/event-stream") || /\/(tail|completions)$/.test(url.pathname);
  return streams ? url.searchParams.get("access_token") : null;
}

function corsHeaders(request, env) {
  const origin = request.headers.get("origin");
  const allowed = (env.FF_CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (!origin || !allowed.includes(origin)) return null;
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, last-event-id",
    "access-control-max-age": "600",
    vary: "origin",
  };
}

function withHeaders(response, headers) {
  if (!headers) return response;
  const out = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  return out;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const cors = corsHeaders(request, env);
    if (request.method === "OPTIONS") {
      return cors ? new Response(null, { status: 204, headers: cors }) : new Response(null, { status: 403 });
    }
    const respond = (response) => withHeaders(response, cors);
    try {
      const [, name, rest] = url.pathname.match(PREFIX) ?? [undefined, "default", url.pathname];
      const path = rest ?? "/";
      if (path === "/healthz") {
        if (request.method !== "GET") throw new HttpError(405, "validation", "method_not_allowed", "use GET for /healthz");
        return respond(json({ ok: true, auth: Boolean(env.FF_API_TOKEN) }));
      }
      if (env.FF_API_TOKEN) {
        const token = presentedToken(request, url);
        if (!token || !(await sameSecret(token, env.FF_API_TOKEN))) {
          throw new HttpError(401, "auth", "unauthorized", "this sandbox needs Authorization: Bearer <token>");
        }
      }
      if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) {
        // Refused before the upload is forwarded (the object checks streamed bodies itself).
        await request.arrayBuffer().catch(() => {}); // drained, so the connection stays clean
        throw new HttpError(413, "validation", "body_too_large", `the body is over ${MAX_BODY} bytes`);
      }
      const stub = env.SANDBOX.get(env.SANDBOX.idFromName(decodeURIComponent(name)));
      const inner = new URL(path + url.search, url.origin);
      inner.searchParams.delete("access_token");
      return respond(await stub.fetch(new Request(inner, request)));
    } catch (error) {
      return respond(errorResponse(error));
    }
  },
};
