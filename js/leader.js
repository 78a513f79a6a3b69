// The serving side (docs/API.md, "Many tabs, one database"): the worker that holds the
// database runs the requests of every tab, its own included.
//
// Group commit: calls that arrive together (queued while the worker was busy) run in one
// transaction through `groupCommit`, so they share one commit — on OPFS the commit is most of
// an append's cost. Each call still succeeds or fails on its own, and its reply is sent only
// after the commit that holds it.
//
// Exactly once: when sharing, each call runs through `__asRequest(from, seq, acked, ...)`,
// which records the outcome of a call that changed something in the same transaction, and
// answers a call delivered again (after a change of leader) from that record.
//
// Iterators hold nothing here but a waiter: each `next` names the position the tab reached,
// so a leader that never saw the iterator (a new one) opens it there.

import { open, Backend } from "./index.js";
import { publicMethods } from "./api.js";
import { errorToData } from "./error.js";

/** Calls that need the whole database, or wait: they never join a group. */
const SOLO = new Set(["exportImage", "close", "destroy", "tailStream", "groupCommit", "benchRawInserts"]);
/** Records older than this belong to tabs long gone (tabs re-send only during a failover). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Leader {
  #options;
  #dedup;
  #backend = null;
  #methods = [];
  #stopped = false;
  /** `${client}/${iterator}` → { follower, position }: the iterators with a waiter here. */
  #iterators = new Map();
  #queued = [];
  #turn = new MessageChannel();
  /** Settles when the database is open (again, after a destroy): requests wait for it. */
  #opened = Promise.resolve();
  /** The open in progress, if any (a stop waits for it to give the database back). */
  #opening = Promise.resolve();

  /**
   * @param {object} options  what `open()` takes
   * @param {{ dedup: boolean, onDestroy?: (msg: object) => Promise<void> }} how
   */
  constructor(options, { dedup, onDestroy }) {
    this.#options = options;
    this.#dedup = dedup;
    this.onDestroy = onDestroy;
    this.#turn.port1.onmessage = () => this.#runGroup();
  }

  /**
   * Opens the database. With `retry`, `storage_busy` (the previous holder's access handles
   * may take a moment to go) and other failures are retried with backoff until it opens or
   * the leader stops; `onFailure` hears of each failure that is not `storage_busy`.
   */
  open({ retry = false, onFailure = () => {} } = {}) {
    this.#opened = this.#opening = this.#open(retry, onFailure);
    return this.#opened;
  }

  async #open(retry, onFailure) {
    for (let delay = 4; ; delay = Math.min(delay * 2, 250)) {
      try {
        this.#backend = await open(this.#options);
        break;
      } catch (error) {
        if (!retry || this.#stopped) throw error;
        if (error.code !== "storage_busy") onFailure(error);
        await sleep(delay);
      }
    }
    if (this.#stopped) {
      await this.#backend.close();
      throw new Error("stopped");
    }
    this.#methods = publicMethods();
    if (this.#dedup) await this.#backend.__forgetRequests(Date.now() - FORGET_AFTER_MS);
  }

  /** Runs one request; resolves its reply, or `undefined` when none is to be sent. */
  async serve(msg) {
    if (this.#stopped) return undefined;
    if (msg.t === "release") {
      this.#release(msg.key);
      return undefined;
    }
    let value;
    try {
      if (!this.#backend) await this.#opened;
      value = { ok: true, value: await this.#run(msg) };
    } catch (error) {
      value = { ok: false, error: errorToData(error) };
    }
    // A leader that stopped meanwhile says nothing: the tab sends the request again to the next.
    return this.#stopped ? undefined : { seq: msg.seq, ...value };
  }

  #run(msg) {
    if (msg.t === "call" && !SOLO.has(msg.method)) {
      return new Promise((resolve, reject) => {
        if (this.#queued.length === 0) this.#turn.port2.postMessage(null);
        this.#queued.push({ msg, resolve, reject });
      });
    }
    this.#runGroup(); // calls that came first go first
    switch (msg.t) {
      case "call":
        // Closing is each tab's own business: it never closes the database of the others.
        if (msg.method === "close") throw new Error("close is not a request");
        return msg.method === "destroy" && this.onDestroy ? this.onDestroy(msg) : this.#forward(msg.method, msg.args);
      case "group":
        return this.#group(msg);
      case "start":
        return this.#backend.__outboxHeads().then((heads) => heads[msg.method] ?? null);
      case "next":
        return this.#next(msg);
      default:
        throw new Error(`unknown request ${msg.t}`);
    }
  }

  #runGroup() {
    const calls = this.#queued;
    this.#queued = [];
    if (calls.length === 0) return;
    let settled = [];
    const group = this.#backend.groupCommit(() => {
      settled = calls.map(({ msg }) => this.#invoke(msg.from, msg.seq, msg.acked, msg.method, msg.args));
    });
    group.catch(() => {}); // each call's own outcome is its reply
    // A group that could not start (a closed database) never ran the callback: its error is
    // every call's.
    calls.forEach(({ resolve, reject }, i) => (settled[i] ?? group).then(resolve, reject));
  }

  /** The page's own groupCommit: its calls, recorded there, run here as one group. */
  async #group({ from, acked, calls }) {
    let settled = [];
    const group = this.#backend.groupCommit(() => {
      settled = calls.map((c) => this.#invoke(from, c.seq, acked, c.method, c.args));
    });
    await group.catch(() => {});
    const outcomes = calls.map((_, i) => settled[i] ?? group);
    return Promise.all(outcomes.map((p) => p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error: errorToData(error) }))));
  }

  /** One call, as the tab's request when sharing. */
  #invoke(from, seq, acked, method, args) {
    if (!this.#dedup) return this.#forward(method, args);
    return this.#backend.__asRequest(from, seq, acked, () => this.#forward(method, args));
  }

  /** A plain method call, as a Promise whatever it does. */
  #forward(method, args) {
    if (!this.#methods.includes(method) || Backend.iteratorMethods.includes(method)) {
      return Promise.reject(new Error(`unknown method ${method}`));
    }
    try {
      return Promise.resolve(this.#backend[method](...args));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Everything an iterator has ready (at least one item, waiting for it), as one reply. The
   * follower opened for the position the tab names is kept for its next `next`; a position
   * this leader did not reach (a new leader, a reply lost on the way) opens a new one there.
   */
  async #next({ key, method, args, position, max }) {
    if (!Backend.iteratorMethods.includes(method)) throw new Error(`${method} is not an iterator method`);
    let entry = this.#iterators.get(key);
    if (!entry || entry.position !== position) {
      entry?.follower.return();
      entry = { follower: this.#backend[method](...args), position };
      this.#iterators.set(key, entry);
    }
    let items;
    try {
      items = await entry.follower.nextBatch(max);
    } catch (error) {
      if (this.#iterators.get(key) === entry) this.#iterators.delete(key);
      throw error;
    }
    if (items.length === 0) {
      if (this.#iterators.get(key) === entry) this.#iterators.delete(key);
      return { items, position };
    }
    const last = items[items.length - 1];
    entry.position = String(last.cursor ?? last.id); // events carry a cursor, frames an id
    return { items, position: entry.position };
  }

  #release(key) {
    this.#iterators.get(key)?.follower.return();
    this.#iterators.delete(key);
  }

  /** A tab went away: its iterators' waiters go too. */
  forget(client) {
    for (const key of [...this.#iterators.keys()]) if (key.startsWith(`${client}/`)) this.#release(key);
  }

  /** Every iterator ends (a waiting `next` resolves done): the database is being destroyed. */
  releaseAll() {
    for (const key of [...this.#iterators.keys()]) this.#release(key);
  }

  /**
   * Destroys the database (files deleted) and, with `reopen`, opens it again, empty. Requests
   * that come meanwhile wait for that; without `reopen` they wait until the leader stops, and
   * then go unanswered: their tabs send them to the next leader.
   */
  async destroy({ reopen }) {
    this.releaseAll();
    const destroyed = this.#backend.destroy();
    this.#backend = null;
    this.#opened = reopen
      ? destroyed.catch(() => {}).then(() => (this.#opening = this.#open(true, () => {})))
      : new Promise(() => {});
    this.#opened.catch(() => {});
    await destroyed;
  }

  /** Stops serving: nothing more is replied, queued calls are dropped, the database closes. */
  async stop() {
    this.#stopped = true;
    for (const call of this.#queued) call.reject(new Error("stopped"));
    this.#queued = [];
    this.releaseAll();
    this.#turn.port1.close();
    await this.#opening.catch(() => {});
    await this.#backend?.close();
  }
}
