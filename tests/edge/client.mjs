// Test helpers for the edge sandbox: JSON calls and a Server-Sent Events reader, over a
// Miniflare instance's dispatchFetch.

export function client(mf, { prefix = "", token } = {}) {
  const headers = (extra = {}) => ({ "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  const call = async (method, path, body, extra) => {
    const response = await mf.dispatchFetch(`http://localhost${prefix}${path}`, {
      method,
      headers: headers(extra),
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text, headers: response.headers };
  };
  return {
    call,
    get: (path, extra) => call("GET", path, undefined, extra),
    post: (path, body, extra) => call("POST", path, body ?? {}, extra),
    /** Opens an event stream; `next()` resolves the next event, `close()` disconnects. */
    async events(path, extra = {}) {
      const response = await mf.dispatchFetch(`http://localhost${prefix}${path}`, { headers: headers({ accept: "text/event-stream", ...extra }) });
      return eventReader(response);
    },
  };
}

export function eventReader(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue = [];
  const parse = () => {
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { data: [] };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const [field, ...rest] = line.split(": ");
        const value = rest.join(": ");
        if (field === "data") event.data.push(value);
        else event[field] = value;
      }
      if (event.data.length || event.event) queue.push({ ...event, data: event.data.join("\n") });
    }
  };
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    async next() {
      while (queue.length === 0) {
        const { done, value } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
        parse();
      }
      return queue.shift();
    },
    close: () => reader.cancel(),
  };
}
