// HTTP plumbing for the edge sandbox: JSON answers, the error body and status of each
// FlowFabricError kind, bodies capped at 1 MiB, and Server-Sent Events from an async iterator.

export const MAX_BODY = 1 << 20;

/** An HTTP failure with the error body's kind and code (not a FlowFabricError: a route or body fault). */
export class HttpError extends Error {
  constructor(status, kind, code, message) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.code = code;
  }
}

const STATUS = { validation: 400, not_found: 404, contention: 409, state: 409, storage: 503 };

export const json = (value, status = 200, headers = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });

/** `{ error: { kind, code, message } }` with the status of its kind. */
export function errorResponse(error) {
  if (error instanceof HttpError) {
    return json({ error: { kind: error.kind, code: error.code, message: error.message } }, error.status);
  }
  if (error?.name === "FlowFabricError") {
    return json({ error: { kind: error.kind, code: error.code, message: error.message } }, STATUS[error.kind] ?? 500);
  }
  return json({ error: { kind: "internal", code: "internal", message: "unexpected failure" } }, 500);
}

export const notFound = (what) => new HttpError(404, "not_found", "route", what);
export const badRequest = (message) => new HttpError(400, "validation", "invalid_input", message);

/** The request's JSON body (an object), refusing more than MAX_BODY bytes and bad JSON. */
export async function readJson(request) {
  const tooLarge = async () => {
    await request.body?.cancel().catch(() => {}); // stop the upload rather than leave it half read
    return new HttpError(413, "validation", "body_too_large", `the body is over ${MAX_BODY} bytes`);
  };
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) throw await tooLarge();
  const chunks = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (let step = await reader?.read(); step && !step.done; step = await reader.read()) {
    size += step.value.byteLength;
    if (size > MAX_BODY) {
      reader.releaseLock();
      throw await tooLarge();
    }
    chunks.push(step.value);
  }
  const text = new TextDecoder().decode(concat(chunks, size));
  if (text.trim() === "") return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw badRequest("the body must be a JSON object");
  return value;
}

function concat(chunks, size) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Bytes as JSON can carry them: UTF-8 text, or base64 with `encoding: "base64"`. */
export function bytesField(bytes) {
  if (bytes === null || bytes === undefined) return { value: null, encoding: null };
  try {
    return { value: new TextDecoder("utf-8", { fatal: true }).decode(bytes), encoding: "utf8" };
  } catch {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return { value: btoa(binary), encoding: "base64" };
  }
}

const KEEP_ALIVE_MS = 15_000;

/**
 * A `text/event-stream` response from an async iterator: one event per item (`id:` and `data:`
 * from `format`), then `end()`'s last event if it gives one. A comment every 15 s keeps
 * proxies from closing an idle stream. When the client goes away the iterator is returned,
 * which releases its waiter.
 */
export function eventStream(iterator, format, end, headers = {}) {
  const encoder = new TextEncoder();
  let timer;
  const body = new ReadableStream({
    start(controller) {
      timer = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), KEEP_ALIVE_MS);
    },
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (!done) {
          const { id, event, data } = format(value);
          controller.enqueue(encoder.encode(frameEvent(id, event, data)));
          return;
        }
        const last = await end?.();
        if (last) controller.enqueue(encoder.encode(frameEvent(last.id, last.event, last.data)));
      } catch (error) {
        controller.enqueue(encoder.encode(frameEvent(undefined, "error", JSON.stringify({ kind: error.kind, code: error.code, message: error.message }))));
      }
      clearInterval(timer);
      controller.close();
    },
    cancel() {
      clearInterval(timer);
      return iterator.return?.();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function frameEvent(id, event, data) {
  let text = "";
  if (id !== undefined) text += `id: ${id}\n`;
  if (event !== undefined) text += `event: ${event}\n`;
  for (const line of String(data).split("\n")) text += `data: ${line}\n`;
  return `${text}\n`;
}
