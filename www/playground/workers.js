// Demo workers running in the page: each claims work on its lane, writes the execution's story
// token by token (durable frames), patches a progress summary, and completes, or fails when the
// payload asks it to. Started and stopped from the "Demo workers" panel.
import { el, leaseLost, sleep } from "./format.js";
import { storyFor } from "./story.js";

const IDLE_MS = 250; // claim never blocks: an idle worker looks again this often
const TOKEN_MS = 25;
const IN_FLIGHT = 64;

/** What a payload asks the worker to do: a story (text), `{ "frames": n }`, `{ "fail": true }`. */
function planOf(payload) {
  const text = payload ? new TextDecoder().decode(payload) : "";
  try {
    const json = JSON.parse(text);
    if (json && typeof json === "object") return { title: json.title ?? "", frames: json.frames, fail: json.fail === true };
  } catch {
    // not JSON: a title
  }
  return { title: text };
}

class DemoWorker {
  running = true;
  activity = "idle";

  constructor(ctx, id, lane, capabilities, onActivity) {
    this.ctx = ctx;
    this.id = id;
    this.lane = lane;
    this.capabilities = capabilities;
    this.onActivity = onActivity;
    this.done = this.#loop();
  }

  #set(activity) {
    // An idle worker looks for work four times a second: redraw only what changed.
    if (activity === this.activity) return;
    this.activity = activity;
    this.onActivity();
  }

  async #loop() {
    const { ff } = this.ctx;
    while (this.running) {
      let handle;
      try {
        handle = await ff.claim({ lane: this.lane, capabilities: this.capabilities, workerId: this.id, leaseTtlMs: 15_000 });
      } catch (error) {
        if (error.code === "closed") return;
        throw error;
      }
      if (!handle) {
        this.#set("idle");
        await sleep(IDLE_MS);
        continue;
      }
      this.#set(`working on ${handle.executionId.slice(7, 15)} (attempt ${handle.attemptIndex})`);
      try {
        await this.#work(handle);
      } catch (error) {
        if (!leaseLost(error) && error.code !== "closed") throw error;
      }
    }
    this.#set("stopped");
  }

  async #work(handle) {
    const { ff } = this.ctx;
    const info = await ff.getExecution(handle.executionId);
    const plan = planOf(info.payload);
    if (plan.frames) return this.#bulk(handle, plan.frames);
    const tokens = storyFor(plan.title || info.executionId, handle.attemptIndex);
    const failAt = plan.fail ? Math.floor(tokens.length / 3) : -1;
    await ff.appendFrame(handle, { payload: JSON.stringify({ title: tokens.title, words: tokens.length, written: 0, percent: 0 }), mode: "summary" });
    for (let i = 0; i < tokens.length; i++) {
      if (!this.running) return ff.fail(handle, { message: "the worker was stopped", classification: "infra_crash" });
      if (i === failAt) {
        await ff.appendFrame(handle, { payload: "upstream model timed out", kind: "stderr" });
        return ff.fail(handle, { message: `simulated upstream timeout on attempt ${handle.attemptIndex}`, classification: "transient" });
      }
      await ff.appendFrame(handle, { payload: tokens[i] });
      if (i % 8 === 7 || i === tokens.length - 1) {
        const percent = Math.round(((i + 1) / tokens.length) * 100);
        await ff.appendFrame(handle, { payload: JSON.stringify({ written: i + 1, percent }), mode: "summary" });
        await ff.progress(handle, { percent, message: `${i + 1} of ${tokens.length} words` });
      }
      if (i % 100 === 99) await ff.renew(handle);
      await sleep(TOKEN_MS);
    }
    await ff.complete(handle, tokens.join(""));
  }

  /**
   * `{ "frames": n }`: as fast as the database takes them, to show the stream view coping.
   * Up to IN_FLIGHT appends are issued without waiting, so the worker that holds the database
   * commits them in groups (one commit per group instead of one per frame).
   */
  async #bulk(handle, count) {
    const { ff } = this.ctx;
    const inFlight = new Set();
    const send = (frame) => {
      const sent = ff.appendFrame(handle, frame);
      inFlight.add(sent);
      sent.then(() => inFlight.delete(sent), () => {}); // failures surface through Promise.all below
    };
    for (let i = 1; i <= count && this.running; i++) {
      send({ payload: `frame ${i} of ${count}` });
      if (i % 500 === 0) send({ payload: JSON.stringify({ written: i, percent: Math.round((i / count) * 100) }), mode: "summary" });
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await ff.complete(handle, `${count} frames`);
  }
}

export class Workers {
  #ctx;
  #workers = [];
  #next = 1;

  constructor(ctx) {
    this.#ctx = ctx;
    document.getElementById("worker-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.currentTarget);
      this.start(String(form.get("lane")).trim() || "default", splitList(form.get("capabilities")));
    });
  }

  /** Starts a worker on `lane` holding `capabilities`; resolves its id. */
  start(lane, capabilities = []) {
    const id = `${lane}-worker-${this.#next++}`;
    const worker = new DemoWorker(this.#ctx, id, lane, capabilities, () => this.#render());
    this.#workers.push(worker);
    this.#render();
    return id;
  }

  /** Whether a running worker serves `lane` with exactly `capabilities`. */
  running(lane, capabilities) {
    return this.#workers.some((w) => w.running && w.lane === lane && w.capabilities.join() === capabilities.join());
  }

  async stopAll() {
    for (const w of this.#workers) w.running = false;
    await Promise.allSettled(this.#workers.map((w) => w.done));
    this.#workers = [];
    this.#render();
  }

  #render() {
    const items = this.#workers.map((w) => {
      const stop = el("button", { type: "button", "aria-label": `Stop ${w.id}`, text: "Stop" });
      stop.disabled = !w.running;
      stop.addEventListener("click", async () => {
        w.running = false;
        await w.done;
        this.#workers = this.#workers.filter((x) => x !== w);
        this.#render();
      });
      const caps = w.capabilities.length ? ` [${w.capabilities.join(", ")}]` : "";
      return el("li", {}, el("span", { text: `${w.id}${caps}: ${w.running ? w.activity : "stopping"}`, title: w.activity }), stop);
    });
    document.getElementById("workers").replaceChildren(...items);
  }
}

/** "a, b c" → ["a", "b", "c"]. */
export const splitList = (text) => String(text ?? "").split(/[\s,]+/).filter(Boolean);
