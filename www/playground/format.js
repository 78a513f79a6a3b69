// Small display helpers shared by the panels.

export const STATES = ["waiting", "delayed", "active", "completed", "failed", "cancelled"];

/** The first 8 hex digits of an execution id's uuid: enough to tell executions apart here. */
export const shortId = (executionId) => executionId.slice("{fp:0}:".length, "{fp:0}:".length + 8);

/** A frame id (`<ms>-<seq>`) as the local time it was written, to the millisecond, with its
 * sequence number when several frames share that millisecond. */
export function frameTime(id) {
  const [ms, seq] = id.split("-").map(Number);
  const time = new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const millis = String(ms % 1000).padStart(3, "0");
  return `${time}.${millis}${seq > 0 ? ` #${seq}` : ""}`;
}

/** A state shown with colour and with its name. */
export function badge(state) {
  const span = document.createElement("span");
  span.className = `badge ${state}`;
  span.textContent = state;
  return span;
}

/** `el(tag, { class, text, ...attributes }, ...children)`. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** Errors that mean "this lease is gone" (cancelled, reclaimed, expired): a worker stops quietly. */
export const leaseLost = (error) =>
  ["lease_conflict", "execution_not_active", "stream_closed", "lease_expired", "attempt"].includes(error?.code);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
