// The playground page: opens the database in the package's worker (OPFS), wires the panels, and
// keeps every view current from the engine's own event streams — no polling. Every tab of the
// playground works on the same database: one tab's worker leads (holds it), the others follow
// (docs/API.md, "Many tabs, one database"); the status line says which this tab is.
import { openInWorker } from "ff-backend-wasm";
import { ExecutionsTable } from "./executions.js";
import { Detail } from "./detail.js";
import { Workers } from "./workers.js";
import { runDemo } from "./demo.js";
import { splitList } from "./workers.js";
import { STATES } from "./format.js";

const DATABASE = "playground.db";
const $ = (id) => document.getElementById(id);
/** Tells the playground's other tabs about executions created here (events cover the rest). */
const tabs = new BroadcastChannel("ff-backend-wasm-playground");

/** What the panels share: the open backend, every execution seen, and change notifications. */
const ctx = {
  ff: null,
  known: new Map(),
  listeners: new Set(),
  /** Tells the panels that an execution changed (or appeared). */
  changed(info) {
    this.known.set(info.executionId, info);
    for (const listener of this.listeners) listener(info);
    renderStatus();
  },
  /** Creates an execution and shows it. */
  async create(spec) {
    const { executionId } = await this.ff.createExecution(spec);
    await this.show(executionId);
    tabs.postMessage({ created: executionId });
    return executionId;
  },
  /** Shows an execution created here or in another tab. */
  async show(executionId) {
    const info = await this.ff.getExecution(executionId);
    if (!info) return;
    this.changed(info);
    await table.appended();
  },
};

const select = (id) => {
  table.highlight(id);
  return detail.select(id);
};
const table = new ExecutionsTable(ctx, select);
const detail = new Detail(ctx);
const workers = new Workers(ctx);
let session = null; // aborts this database session's event followers

function setEnabled(enabled) {
  for (const el of document.querySelectorAll("main button, main input, main textarea")) {
    if (el.closest("#execution-rows") || el.closest("#attempts") || el.id === "cancel") continue;
    if (el.id === "prev-page" || el.id === "next-page") continue;
    el.disabled = !enabled;
  }
}

function renderStatus(note) {
  const status = $("status");
  if (!ctx.ff) {
    status.textContent = note ?? "This tab has no database open.";
    return;
  }
  const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const info of ctx.known.values()) counts[info.publicState] += 1;
  const parts = STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  status.innerHTML = "";
  const strong = document.createElement("strong");
  strong.textContent = `${ctx.known.size} execution${ctx.known.size === 1 ? "" : "s"}`;
  status.append(
    `Storage: ${ctx.ff.storage.toUpperCase()} · database ${ctx.ff.name} · `,
    strong,
    parts.length ? ` (${parts.join(", ")})` : "",
    ` · ${ROLES[ctx.ff.leadership?.role] ?? ROLES.exclusive}`,
  );
}

/** What the status line says about this tab's part in sharing the database. */
const ROLES = {
  leader: "this tab leads (it holds the database for every tab)",
  follower: "another tab leads; this tab follows",
  electing: "a new leading tab is taking over…",
  exclusive: "this tab holds the database",
};

/** Follows an event iterator for the session, refreshing the execution each event is about. */
async function follow(iterator, signal) {
  try {
    for await (const event of iterator) {
      const info = await ctx.ff.getExecution(event.executionId);
      if (info) ctx.changed(info);
    }
  } catch (error) {
    if (error.name !== "AbortError" && error.code !== "closed") throw error;
    return;
  }
  // Event iterators end only when another tab destroyed the database ("Reset"): start over.
  if (!signal.aborted) {
    session.abort();
    await workers.stopAll();
    detail.clear();
    await load();
  }
}

/** Follows the events, then lists every execution, for a new session. */
async function load() {
  session = new AbortController();
  const { signal } = session;
  // Follow first, then list: an event committed in between is seen twice, never missed.
  follow(ctx.ff.leaseHistory({ signal }), signal);
  follow(ctx.ff.completions({ signal }), signal);
  ctx.known.clear();
  let after;
  do {
    const page = await ctx.ff.listExecutions({ after, limit: 1000 });
    for (const info of page.executions) ctx.known.set(info.executionId, info);
    after = page.nextCursor;
  } while (after);
  await table.load();
  renderStatus();
}

async function connect() {
  $("blocked").hidden = true;
  renderStatus("Opening the database…");
  try {
    // Shared with the playground's other tabs (the default for OPFS).
    ctx.ff = await openInWorker({ storage: "opfs", name: DATABASE });
  } catch (error) {
    ctx.ff = null;
    if (error.code === "storage_busy") {
      // Only where tabs cannot share (no Web Locks), or the database is held elsewhere.
      $("blocked").hidden = false;
      renderStatus("This tab cannot open the database: another tab holds it.");
    } else {
      renderStatus(`The database could not be opened: ${error.message}`);
    }
    return;
  }
  ctx.ff.leadership.addEventListener("change", () => renderStatus());
  await load();
  setEnabled(true);
}

tabs.onmessage = ({ data }) => {
  // Shown here too; a tab whose database is closing meanwhile just misses it.
  if (data.created && ctx.ff) ctx.show(data.created).catch(() => {});
};

async function disconnect() {
  setEnabled(false);
  await workers.stopAll();
  detail.clear();
  session?.abort();
  session = null;
}

$("retry-open").addEventListener("click", connect);

$("run-demo").addEventListener("click", async () => {
  $("run-demo").disabled = true;
  try {
    const first = await runDemo(ctx, workers);
    if (!detail.executionId) await select(first);
  } finally {
    $("run-demo").disabled = false;
  }
});

$("new-execution").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget);
  const number = (name) => Number(form.get(name) || 0);
  const error = $("form-error");
  error.hidden = true;
  try {
    const id = await ctx.create({
      lane: String(form.get("lane")).trim(),
      priority: number("priority"),
      capabilities: splitList(form.get("capabilities")),
      payload: String(form.get("payload")),
      retryPolicy: { maxRetries: number("maxRetries"), backoff: { type: "fixed", delayMs: number("backoffMs") } },
      delayUntilMs: number("delayMs") > 0 ? Date.now() + number("delayMs") : undefined,
    });
    await select(id);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  }
});

$("export").addEventListener("click", async () => {
  const image = await ctx.ff.exportImage();
  const url = URL.createObjectURL(new Blob([image], { type: "application/vnd.sqlite3" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: "playground.sqlite" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});

$("reset").addEventListener("click", async () => {
  if (!confirm("Delete the playground database and start empty? Every execution, frame and summary goes.")) return;
  await disconnect();
  await ctx.ff.destroy();
  ctx.ff = null;
  ctx.known.clear();
  await connect();
});

// A tab that closes gives the database back at once, so another tab can take it.
addEventListener("pagehide", () => ctx.ff?.close());

connect();
