// The Sandbox Durable Object: one FlowFabric database in the object's own SQLite storage, served
// over HTTP (JSON in, JSON out; tails and completions as Server-Sent Events). An alarm at the
// earliest lease expiry reclaims expired leases when no client is calling.
import { DurableObject } from "cloudflare:workers";
import { open } from "../../js/workerd.js";
import { badRequest, bytesField, errorResponse, eventStream, HttpError, json, notFound, readJson } from "./http.js";

/** An execution id from a path segment: the full `{fp:0}:<uuid>`, or just the uuid. */
const executionId = (segment) => {
  const text = decodeURIComponent(segment);
  return text.startsWith("{fp:") ? text : `{fp:0}:${text}`;
};

/** getExecution's record as JSON: payload and result as text, or base64 when not UTF-8. */
function executionJson(info) {
  const payload = bytesField(info.payload);
  const result = bytesField(info.result);
  return { ...info, payload: payload.value, payloadEncoding: payload.encoding, result: result.value, resultEncoding: result.encoding };
}

const query = (url, ...names) => {
  const out = {};
  for (const [name, as] of names.map((n) => (Array.isArray(n) ? n : [n, n]))) {
    const value = url.searchParams.get(name);
    if (value !== null && value !== "") out[as] = /^(limit)$/.test(name) ? Number(value) : value;
  }
  return out;
};

export class Sandbox extends DurableObject {
  #ff = null;
  #ready;

  constructor(ctx, env) {
    super(ctx, env);
    // Requests wait until the database is open.
    // FF_STORAGE=memory keeps the database in memory instead (benches compare the two).
    const options = env.FF_STORAGE === "memory" ? {} : { durableObject: ctx.storage, name: "sandbox.db" };
    this.#ready = ctx.blockConcurrencyWhile(async () => {
      this.#ff = await open(options);
    });
  }

  async fetch(request) {
    await this.#ready;
    try {
      const response = await this.#route(request, new URL(request.url));
      await this.#scheduleAlarm();
      return response;
    } catch (error) {
      // A refused request may leave its body unread: drain it so the connection stays clean.
      if (request.body && !request.bodyUsed) await request.arrayBuffer().catch(() => {});
      return errorResponse(error);
    }
  }

  /** Lease expiry with nobody calling: reclaim, then wait for the next expiry. */
  async alarm() {
    await this.#ready;
    await this.#ff.reclaimExpired();
    await this.#scheduleAlarm();
  }

  async #scheduleAlarm() {
    const at = await this.#ff.nextLeaseExpiryMs();
    if (at === null) {
      await this.ctx.storage.deleteAlarm();
    } else {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > at) await this.ctx.storage.setAlarm(at);
    }
  }

  async #route(request, url) {
    const ff = this.#ff;
    const parts = url.pathname.split("/").filter(Boolean);
    const method = request.method;
    const route = (allowed, run) => {
      if (method !== allowed) throw new HttpError(405, "validation", "method_not_allowed", `use ${allowed} for ${url.pathname}`);
      return run();
    };
    const [first, id, attempts, n, leaf] = parts;
    switch (parts.length === 0 ? "" : first) {
      case "executions":
        if (parts.length === 1) {
          if (method === "POST") {
            return json(await ff.createExecution(await readJson(request)), 201);
          }
          return route("GET", async () => {
            const options = query(url, "lane", ["state", "publicState"], "after", "limit");
            const page = await ff.listExecutions(options);
            return json({ ...page, executions: page.executions.map(executionJson) });
          });
        }
        if (parts.length === 2) {
          return route("GET", async () => {
            const info = await ff.getExecution(executionId(id));
            if (info === null) throw new HttpError(404, "not_found", "execution", `no execution ${decodeURIComponent(id)}`);
            return json(executionJson(info));
          });
        }
        if (parts.length === 5 && attempts === "attempts") return this.#attemptRoute(request, url, executionId(id), Number(n), leaf);
        break;
      case "claim":
        return route("POST", async () => {
          const handle = await ff.claim(await readJson(request));
          return handle === null ? new Response(null, { status: 204 }) : json(handle);
        });
      case "frames":
        return route("POST", async () => {
          const { handle, frame } = await readJson(request);
          return json(await ff.appendFrame(handle, frame));
        });
      case "complete":
      case "fail":
      case "renew":
      case "progress":
        return route("POST", async () => {
          const body = await readJson(request);
          const second = { complete: body.result, fail: body.failure, progress: body.progress }[first];
          const result = await ff[first](body.handle, ...(first === "renew" ? [] : [second]));
          return json(result ?? { ok: true });
        });
      case "cancel":
        return route("POST", async () => {
          const { executionId: target, reason } = await readJson(request);
          if (typeof target !== "string") throw badRequest("executionId is required (a string)");
          await ff.cancel(target, reason);
          return json({ ok: true });
        });
      case "completions":
        return route("GET", () => {
          const after = request.headers.get("last-event-id") ?? url.searchParams.get("after") ?? undefined;
          const events = ff.completions({ after });
          return eventStream(events, (e) => ({ id: e.cursor, data: JSON.stringify(e) }));
        });
      case "stats":
        // Waiting tails and event streams: 0 once every client has gone (leak checks).
        return route("GET", async () => json({ waiters: await ff.waiterCount() }));
      case "export":
        return route("GET", async () => new Response(await ff.exportImage(), {
          headers: { "content-type": "application/vnd.sqlite3", "content-disposition": 'attachment; filename="sandbox.sqlite"' },
        }));
      default:
    }
    throw notFound(`no route ${method} ${url.pathname}`);
  }

  #attemptRoute(request, url, id, attempt, leaf) {
    const ff = this.#ff;
    if (request.method !== "GET") throw new HttpError(405, "validation", "method_not_allowed", `use GET for ${url.pathname}`);
    if (!Number.isInteger(attempt) || attempt < 0) throw badRequest(`attempt index ${attempt} is not a whole number`);
    switch (leaf) {
      case "frames":
        return ff.readStream(id, attempt, query(url, "from", "to", "limit")).then(json);
      case "summary":
        return ff.readSummary(id, attempt).then((summary) => {
          if (summary === null) throw new HttpError(404, "not_found", "summary", `attempt ${attempt} has no summary`);
          return json(summary);
        });
      case "tail": {
        const after = request.headers.get("last-event-id") ?? url.searchParams.get("after") ?? "0-0";
        const frames = ff.tail(id, attempt, { after });
        return eventStream(frames, (frame) => ({ id: frame.id, data: JSON.stringify(frame) }), async () => {
          const { closedReason } = await ff.readStream(id, attempt, { from: "end", limit: 1 });
          return { event: "closed", data: closedReason ?? "" };
        });
      }
      default:
        throw notFound(`no route GET ${url.pathname}`);
    }
  }
}
