// The selected execution: its attempts, the chosen attempt's live "Stream" (a tail) and
// "Summary", and "Cancel". The stream view renders at most MAX_ROWS frames, batched once per
// animation frame, so a 100,000-frame stream stays cheap to watch.
import { el, frameTime, shortId } from "./format.js";

const MAX_ROWS = 400;
const $ = (id) => document.getElementById(id);

export class Detail {
  #ctx;
  executionId = null;
  #attempt = 0;
  #followLatest = true;
  #tail = null; // AbortController of the running tail
  #pending = [];
  #count = 0;
  #flushQueued = false;
  #summaryQueued = false;

  constructor(ctx) {
    this.#ctx = ctx;
    ctx.listeners.add((info) => {
      if (info.executionId === this.executionId) this.#render(info);
    });
    $("cancel").addEventListener("click", async () => {
      $("cancel").disabled = true;
      await ctx.ff.cancel(this.executionId, "cancelled from the playground");
    });
  }

  async select(executionId) {
    this.executionId = executionId;
    this.#followLatest = true;
    const info = await this.#ctx.ff.getExecution(executionId);
    this.#attempt = -1;
    this.#render(info);
  }

  clear() {
    this.#tail?.abort();
    this.#tail = null;
    this.executionId = null;
    $("detail-title").textContent = "Select an execution";
    $("attempts").replaceChildren();
    $("stream").replaceChildren();
    $("stream-info").textContent = "Frames appear here live.";
    $("summary-version").textContent = "No summary yet.";
    $("summary-document").textContent = "";
    $("cancel").disabled = true;
  }

  #render(info) {
    $("detail-title").textContent = `Execution ${shortId(info.executionId)} · ${info.lane} · ${info.publicState}`;
    $("cancel").disabled = info.lifecyclePhase === "terminal";
    const latest = info.attemptIndex;
    const buttons = [];
    for (let i = 0; i <= latest; i++) {
      const button = el("button", { type: "button", "aria-pressed": "false", text: `Attempt ${i}` });
      button.addEventListener("click", () => {
        this.#followLatest = i === latest;
        this.#show(i);
      });
      buttons.push(button);
    }
    $("attempts").replaceChildren(...buttons);
    const chosen = this.#followLatest || this.#attempt < 0 ? latest : this.#attempt;
    if (chosen !== this.#attempt) this.#show(chosen);
    else this.#markAttempt();
  }

  #markAttempt() {
    [...$("attempts").children].forEach((b, i) => b.setAttribute("aria-pressed", String(i === this.#attempt)));
  }

  /** Tails one attempt's stream into the log, and keeps its summary current. */
  #show(attempt) {
    this.#attempt = attempt;
    this.#markAttempt();
    this.#tail?.abort();
    const tail = (this.#tail = new AbortController());
    const { ff } = this.#ctx;
    const executionId = this.executionId;
    this.#pending = [];
    this.#count = 0;
    $("stream").replaceChildren();
    $("stream-info").textContent = "Waiting for frames…";
    this.#refreshSummary();
    (async () => {
      try {
        for await (const frame of ff.tail(executionId, attempt, { signal: tail.signal, limit: 1000 })) {
          this.#pending.push(frame);
          if (frame.mode === "summary") this.#refreshSummary();
          this.#queueFlush();
        }
        const { closedReason } = await ff.readStream(executionId, attempt, { from: "end", limit: 1 });
        if (!tail.signal.aborted) this.#pending.push({ closed: closedReason });
        this.#queueFlush();
      } catch (error) {
        if (error.name !== "AbortError" && error.code !== "closed") throw error;
      }
    })();
  }

  #queueFlush() {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    requestAnimationFrame(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Appends the frames that arrived since the last paint, keeping at most MAX_ROWS rows. */
  #flush() {
    const log = $("stream");
    const arrived = this.#pending;
    this.#pending = [];
    this.#count += arrived.filter((f) => !f.closed).length;
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
    const fragment = document.createDocumentFragment();
    for (const frame of arrived.slice(-MAX_ROWS)) fragment.append(frame.closed !== undefined ? closedRow(frame.closed) : frameRow(frame));
    log.append(fragment);
    for (let extra = log.childElementCount - MAX_ROWS; extra > 0; extra--) log.firstElementChild.remove();
    const shown = Math.min(this.#count, MAX_ROWS);
    $("stream-info").textContent = this.#count === 0
      ? "No frames yet."
      : `${this.#count.toLocaleString()} frame${this.#count === 1 ? "" : "s"}${shown < this.#count ? `, showing the newest ${shown}` : ""}.`;
    if (stick) log.scrollTop = log.scrollHeight;
  }

  #refreshSummary() {
    if (this.#summaryQueued) return;
    this.#summaryQueued = true;
    requestAnimationFrame(async () => {
      this.#summaryQueued = false;
      const summary = await this.#ctx.ff.readSummary(this.executionId, this.#attempt).catch(() => null);
      $("summary-version").textContent = summary
        ? `Version ${summary.version} · updated ${new Date(summary.lastUpdatedMs).toLocaleTimeString()}`
        : "No summary yet.";
      $("summary-document").textContent = summary ? JSON.stringify(summary.document, null, 2) : "";
    });
  }
}

function frameRow(frame) {
  const { fields } = frame;
  const payload = fields.encoding === "base64"
    ? el("span", { class: "payload binary", text: `binary, ${Math.floor((fields.payload.length * 3) / 4)} bytes (base64 ${fields.payload.slice(0, 24)}…)` })
    : frame.mode === "summary"
      ? el("span", { class: "payload one-line", text: fields.payload, title: fields.payload })
      : el("span", { class: "payload", text: fields.payload });
  return el("div", { class: "frame" },
    el("span", { class: "id", text: frameTime(frame.id), title: `frame ${frame.id}` }),
    el("span", { class: "kind", text: fields.frame_type }),
    el("span", { class: `mode-${frame.mode}`, text: frame.mode }),
    payload);
}

const closedRow = (reason) => el("div", { class: "frame closed", text: `— stream closed: ${reason ?? "unknown"} —` });
