// The calling side of a tab's worker (docs/API.md, "Many tabs, one database"): every call the
// page makes becomes a request `{ from, seq, acked }` sent to the leader, the worker that holds
// the database (maybe this one). A request stays pending until its reply comes; when the leader
// changes, every pending request is sent again to the new one, which answers a call it already
// ran from its record (the `seq` makes that possible) instead of running it twice. Iterators
// keep their position here, so the next leader resumes them after the last item this tab got.

import { Backend } from "../dist/wasm/ff_backend_wasm.js";
import { errorFromData, FlowFabricError } from "./error.js";

const busy = (message) => new FlowFabricError(message, { kind: "storage", code: "storage_busy", retryable: true });
const closed = () => new FlowFabricError("the database is closed", { kind: "state", code: "closed" });

/** Resolvers of a promise made now (Promise.withResolvers is too new for some browsers). */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** `args` with `options.after` set, options being the iterator method's last parameter. */
function withAfter(method, args, after) {
  if (after === undefined) return args;
  const index = Backend.prototype[method].length - 1;
  const options = args[index];
  // Options that are not an object are the leader's to refuse, unchanged.
  if (options !== undefined && options !== null && (typeof options !== "object" || Array.isArray(options))) return args;
  const copy = [...args];
  copy[index] = { ...options, after };
  return copy;
}

export class Client {
  /** This tab's client id: requests carry it, the dedup table keys on it. */
  id = crypto.randomUUID();
  #seq = 0;
  /** seq → { msg, resolve, reject, since: when it began waiting for a leader, or null, sent } */
  #pending = new Map();
  /** `{ term, send(msg) }` of the leader serving this tab, or null between leaders. */
  #route = null;
  #waitMs;
  #timer = null;
  #iterators = new Map();
  #nextIterator = 1;
  #ready = deferred();
  #readyTimer = null;
  #ended = false;

  /** @param {{ waitMs: number, onRoute?: () => void }} options */
  constructor({ waitMs, onRoute = () => {} }) {
    this.#waitMs = waitMs;
    this.onRoute = onRoute;
  }

  get route() {
    return this.#route;
  }

  /** Resolves once a leader serves this tab; rejects storage_busy if none does within the
   *  wait, or with the error a leader could not open the database with. */
  ready() {
    if (!this.#route && this.#readyTimer === null && Number.isFinite(this.#waitMs)) {
      this.#readyTimer = setTimeout(() => {
        this.#ready.reject(busy(`no tab could open the database within ${this.#waitMs} ms (it may be open without sharing elsewhere)`));
      }, this.#waitMs);
    }
    return this.#ready.promise;
  }

  /** A leader could not open the database: whoever waits for the first one gets why. */
  failed(error) {
    this.#ready.reject(errorFromData(error));
  }

  /** A leader serves this tab from now on: everything pending goes to it. */
  setRoute(route) {
    if (this.#ended || this.#route?.term === route.term) return;
    this.#route = route;
    clearTimeout(this.#readyTimer);
    this.#ready.resolve();
    for (const entry of this.#pending.values()) {
      entry.since = null;
      this.#send(entry);
    }
    this.#arm();
    this.onRoute();
  }

  /** The leader went away (or is going): calls wait for the next one, up to the wait. */
  clearRoute(term) {
    if (!this.#route || (term !== undefined && this.#route.term !== term)) return;
    this.#route = null;
    const now = performance.now();
    for (const entry of this.#pending.values()) entry.since ??= now;
    this.#arm();
    this.onRoute();
  }

  /** A reply from the leader (a duplicate, or one for a call given up on, is ignored). */
  onReply(reply) {
    const entry = this.#pending.get(reply.seq);
    if (!entry) return;
    this.#pending.delete(reply.seq);
    if (reply.ok) entry.resolve(reply.value);
    else entry.reject(errorFromData(reply.error));
    this.#arm();
  }

  call(method, args) {
    return this.#request({ t: "call", method, args });
  }

  /** The page's groupCommit: one message, one group at the leader, a seq per call. */
  group(calls) {
    return this.#request({ t: "group", calls });
  }

  /** Opens an iterator here; the leader only ever sees it one `next` at a time. */
  follow(method, args) {
    const id = this.#nextIterator++;
    const entry = { method, args, key: `${this.id}/${id}`, position: undefined, done: false };
    const index = Backend.prototype[method].length - 1;
    const after = args[index]?.after;
    // Without `after`, events start "from now": the leader says where now is, so that a later
    // leader starts at the same place.
    entry.started = (after !== undefined ? Promise.resolve(after) : this.#request({ t: "start", method })).then(
      (position) => void (entry.position = position ?? undefined),
    );
    entry.started.catch(() => {});
    this.#iterators.set(id, entry);
    return id;
  }

  /** Up to `max` items of iterator `id` (an empty array once it ended). */
  async next(id, max) {
    const entry = this.#iterators.get(id);
    if (!entry || entry.done) return [];
    await entry.started;
    const { position, method, key } = entry;
    const args = withAfter(method, entry.args, position);
    const { items, position: reached } = await this.#request({ t: "next", key, method, args, position, max });
    if (entry.done) return [];
    if (items.length === 0) this.#iterators.delete(id);
    else entry.position = reached;
    return items;
  }

  release(id) {
    const entry = this.#iterators.get(id);
    if (!entry) return;
    entry.done = true;
    this.#iterators.delete(id);
    this.#route?.send({ t: "release", from: this.id, key: entry.key });
  }

  /** The database was destroyed: every iterator ends (its positions mean nothing any more). */
  reset() {
    for (const entry of this.#iterators.values()) entry.done = true;
    this.#iterators.clear();
  }

  /** This tab is done: every pending call rejects with state/closed. */
  end() {
    this.#ended = true;
    this.#route = null;
    clearTimeout(this.#timer);
    clearTimeout(this.#readyTimer);
    for (const entry of this.#pending.values()) entry.reject(closed());
    this.#pending.clear();
    this.#ready.reject(closed());
  }

  #request(body) {
    if (this.#ended) return Promise.reject(closed());
    const seq = ++this.#seq;
    // A group's calls take the seqs after the group's own, so none of them is below `acked`
    // (the lowest pending seq) while the group is pending: their records stay until it ends.
    if (body.t === "group") body = { ...body, calls: body.calls.map((c) => ({ ...c, seq: ++this.#seq })) };
    const { promise, resolve, reject } = deferred();
    const entry = { msg: { ...body, from: this.id, seq }, resolve, reject, since: this.#route ? null : performance.now(), sent: false };
    this.#pending.set(seq, entry);
    this.#send(entry);
    this.#arm();
    return promise;
  }

  #send(entry) {
    if (!this.#route) return;
    // Every seq below the lowest pending one has had its reply: the leader may forget them.
    entry.msg.acked = this.#pending.keys().next().value;
    entry.sent = true;
    try {
      this.#route.send(entry.msg);
    } catch (cause) {
      this.#pending.delete(entry.msg.seq);
      entry.reject(new FlowFabricError(`${entry.msg.method ?? entry.msg.t}: an argument cannot be sent to the leader tab (${cause.message})`, {
        kind: "validation",
        code: "invalid_input",
      }));
    }
  }

  /** One timer, for the request that has waited for a leader the longest. */
  #arm() {
    clearTimeout(this.#timer);
    let oldest = Infinity;
    for (const entry of this.#pending.values()) if (entry.since !== null) oldest = Math.min(oldest, entry.since);
    if (oldest === Infinity || !Number.isFinite(this.#waitMs)) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, oldest + this.#waitMs - performance.now()));
  }

  #expire() {
    const now = performance.now();
    for (const [seq, entry] of this.#pending) {
      if (entry.since === null || now - entry.since < this.#waitMs) continue;
      this.#pending.delete(seq);
      // Sent to a leader that went away before replying: that leader may have run it.
      const applied = entry.sent ? "it may or may not have been applied" : "it was not applied";
      entry.reject(busy(`no tab served the database for ${this.#waitMs} ms during a change of leader tab; ${applied}`));
    }
    this.#arm();
  }
}
