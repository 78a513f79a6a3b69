// The "Executions" table: one page at a time from listExecutions, rows kept current from the
// change notifications (which come from completions / leaseHistory events), a one-shot timer
// for delayed rows whose time comes.
import { badge, el, shortId } from "./format.js";

const PAGE_SIZE = 15;
const $ = (id) => document.getElementById(id);

export class ExecutionsTable {
  #ctx;
  #onSelect;
  /** The cursor each visited page started after (`undefined` for the first). */
  #cursors = [undefined];
  #page = 0;
  #nextCursor = null;
  /** executionId → <tr> of the current page. */
  #rows = new Map();
  #timers = new Map();
  #selected = null;

  constructor(ctx, onSelect) {
    this.#ctx = ctx;
    this.#onSelect = onSelect;
    ctx.listeners.add((info) => this.#update(info));
    $("prev-page").addEventListener("click", () => this.#turn(-1));
    $("next-page").addEventListener("click", () => this.#turn(1));
  }

  /** Loads (or reloads) the current page. */
  async load() {
    const page = await this.#ctx.ff.listExecutions({ after: this.#cursors[this.#page], limit: PAGE_SIZE });
    this.#nextCursor = page.nextCursor;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#rows.clear();
    const body = $("execution-rows");
    body.replaceChildren(...page.executions.map((info) => this.#row(info)));
    $("no-executions").hidden = page.executions.length > 0;
    $("page-label").textContent = `Page ${this.#page + 1}`;
    $("prev-page").disabled = this.#page === 0;
    $("next-page").disabled = !this.#nextCursor;
  }

  /** A new execution was created: it lands on the last page. */
  async appended() {
    if (!this.#nextCursor) await this.load();
  }

  /** Marks the row of `executionId` as the selected one. */
  highlight(executionId) {
    this.#selected = executionId;
    for (const [id, row] of this.#rows) row.setAttribute("aria-selected", String(id === executionId));
  }

  async #turn(step) {
    if (step > 0) {
      if (!this.#nextCursor) return;
      this.#cursors[this.#page + 1] = this.#nextCursor;
    }
    this.#page = Math.max(0, this.#page + step);
    await this.load();
  }

  #row(info) {
    const id = info.executionId;
    const select = el("button", { type: "button", class: "link", "aria-label": `Show execution ${shortId(id)}`, text: shortId(id) });
    const row = el("tr", { "aria-selected": String(id === this.#selected), "data-id": id });
    row.addEventListener("click", () => this.#onSelect(id));
    row.append(el("td", {}, select), el("td"), el("td"), el("td"), el("td"), el("td"), el("td", { class: "failure" }));
    this.#rows.set(id, row);
    this.#fill(row, info);
    return row;
  }

  #fill(row, info) {
    const cells = row.children;
    cells[1].textContent = info.lane;
    cells[2].textContent = String(info.priority);
    cells[3].replaceChildren(badge(info.publicState));
    cells[4].textContent = String(info.attemptIndex);
    cells[5].textContent = info.terminalOutcome ?? "—";
    cells[6].textContent = info.lastFailure ?? "";
    cells[6].title = info.lastFailure ?? "";
    this.#scheduleDelay(info);
  }

  #update(info) {
    const row = this.#rows.get(info.executionId);
    if (row) this.#fill(row, info);
  }

  /** A delayed row turns "waiting" when its time comes: one timer, then a fresh read. */
  #scheduleDelay(info) {
    clearTimeout(this.#timers.get(info.executionId));
    this.#timers.delete(info.executionId);
    if (info.publicState !== "delayed" || info.delayUntilMs === null) return;
    const wait = Math.max(0, info.delayUntilMs - Date.now()) + 20;
    this.#timers.set(info.executionId, setTimeout(async () => {
      const fresh = await this.#ctx.ff?.getExecution(info.executionId).catch(() => null);
      if (fresh) this.#ctx.changed(fresh);
    }, wait));
  }
}
