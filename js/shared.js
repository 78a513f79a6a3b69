// Many tabs, one database (docs/API.md, "Many tabs, one database"). Each tab's worker holds a
// Web Lock of its own for its lifetime and queues for the database's lock; the one holding the
// database's lock is the leader: it opens the database and serves every tab's requests. The
// others follow: they send their requests to the leader. When the leader goes (its tab closed
// or crashed, or it hands over on `pagehide`), the next worker in the lock's queue opens the
// database and the others send it everything still unanswered.
//
// Channels (BroadcastChannel, all named after the database, `ff-backend-wasm/<name>`):
//   <base>             announcements: hello, elected, leader, leaving, reset, failed
//   <base>/leader      requests to the leader (only the leader listens)
//   <base>/tab/<id>    replies to one tab (only that tab listens)
// Locks: <base> (the leader's), <base>/tab/<id> (each tab's own, to learn when it is gone).

import { Client } from "./client.js";
import { Leader } from "./leader.js";
import { errorToData } from "./error.js";

/** Whether tabs can share a database here: Web Locks and BroadcastChannel are both needed. */
export const canShare = () =>
  typeof navigator !== "undefined" && typeof navigator.locks?.request === "function" && typeof BroadcastChannel === "function";

/** Holds a lock until the returned function is called; resolves that function once granted. */
function hold(name) {
  return new Promise((granted) => {
    navigator.locks.request(name, () => new Promise((release) => granted(release)));
  });
}

export class SharedTab {
  client;
  #options;
  #base;
  #onRole;
  #control = null;
  #inbox = null;
  #outbox = null;
  #releaseTabLock = () => {};
  /** While leading: the Leader, its term, its inbox, and how to let go of the lock. */
  #leader = null;
  #term = null;
  #leaderInbox = null;
  #stepDown = null;
  /** The lock request while queued or held (aborting it withdraws from the queue). */
  #campaign = null;
  #replyChannels = new Map();
  #watched = new Map();
  #closed = false;

  /**
   * @param {object} options  what `open()` takes (OPFS and a name)
   * @param {{ waitMs: number, onRole: (role: object) => void }} how
   */
  constructor(options, { waitMs, onRole }) {
    this.#options = options;
    this.#base = `ff-backend-wasm/${options.name ?? "flowfabric.db"}`;
    this.#onRole = onRole;
    this.client = new Client({ waitMs, onRoute: () => this.#reportRole() });
  }

  /** Joins: resolves once a leader (maybe this tab) serves the database. */
  async start() {
    // Taken before anything is sent, so the leader's wait for it ends only when this tab goes.
    this.#releaseTabLock = await hold(`${this.#base}/tab/${this.client.id}`);
    this.#inbox = new BroadcastChannel(`${this.#base}/tab/${this.client.id}`);
    this.#inbox.onmessage = ({ data }) => this.client.onReply(data);
    this.#control = new BroadcastChannel(this.#base);
    this.#control.onmessage = ({ data }) => this.#onControl(data);
    this.#control.postMessage({ t: "hello" });
    this.#campaignForLead();
    await this.client.ready();
  }

  #campaignForLead() {
    const campaign = (this.#campaign = new AbortController());
    navigator.locks.request(this.#base, { signal: campaign.signal }, () => this.#lead()).catch(() => {}); // withdrawn
  }

  /** Runs while this tab holds the database's lock: opens the database, serves, lets go. */
  async #lead() {
    if (this.#closed) return;
    const leader = (this.#leader = new Leader(this.#options, { dedup: true, onDestroy: (msg) => this.#destroy(msg) }));
    this.#control.postMessage({ t: "elected", leader: this.client.id });
    this.client.clearRoute();
    let told = null;
    const onFailure = (error) => {
      // Once per distinct failure: the open is retried every quarter second.
      if (error.message === told) return;
      told = error.message;
      this.#control.postMessage({ t: "failed", error: errorToData(error) });
      this.client.failed(errorToData(error));
    };
    try {
      await leader.open({ retry: true, onFailure });
    } catch {
      return; // stopped while opening
    }
    const term = (this.#term = crypto.randomUUID());
    this.#leaderInbox = new BroadcastChannel(`${this.#base}/leader`);
    this.#leaderInbox.onmessage = ({ data }) => this.#serveRemote(leader, data);
    const released = new Promise((resolve) => (this.#stepDown = resolve));
    this.#control.postMessage({ t: "leader", leader: this.client.id, term });
    this.client.setRoute({
      term,
      local: true,
      leader: this.client.id,
      send: (msg) => leader.serve(msg).then((reply) => reply && this.client.onReply(reply)),
    });
    await released;
  }

  /** Stops leading: nothing more is served, the database closes, then the lock goes. */
  async #resign() {
    const leader = this.#leader;
    if (!leader) return;
    const term = this.#term;
    this.#leader = this.#term = null;
    this.#leaderInbox?.close();
    this.#leaderInbox = null;
    for (const watch of this.#watched.values()) watch.abort();
    this.#watched.clear();
    this.client.clearRoute(term);
    this.#control.postMessage({ t: "leaving", term });
    await leader.stop(); // its OPFS access handles go now, so the next leader opens at once
    this.#stepDown?.();
    this.#stepDown = null;
  }

  #serveRemote(leader, msg) {
    if (typeof msg?.from !== "string") return;
    this.#watch(msg.from);
    leader.serve(msg).then((reply) => reply && this.#replyTo(msg.from, reply));
  }

  #replyTo(client, reply) {
    let channel = this.#replyChannels.get(client);
    if (!channel) this.#replyChannels.set(client, (channel = new BroadcastChannel(`${this.#base}/tab/${client}`)));
    try {
      channel.postMessage(reply);
    } catch (error) {
      channel.postMessage({ seq: reply.seq, ok: false, error: errorToData(error) });
    }
  }

  /** Learns when tab `client` goes (its own lock comes free), to drop its iterators' waiters. */
  #watch(client) {
    if (this.#watched.has(client) || client === this.client.id) return;
    const watch = new AbortController();
    this.#watched.set(client, watch);
    const gone = () => {
      this.#watched.delete(client);
      this.#leader?.forget(client);
      this.#replyChannels.get(client)?.close();
      this.#replyChannels.delete(client);
    };
    navigator.locks.request(`${this.#base}/tab/${client}`, { signal: watch.signal }, gone).catch(() => {});
  }

  #onControl(data) {
    if (this.#closed) return;
    switch (data?.t) {
      case "hello":
        if (this.#term) this.#control.postMessage({ t: "leader", leader: this.client.id, term: this.#term });
        break;
      case "elected":
        if (!this.#leader) this.client.clearRoute();
        break;
      case "leader":
        if (this.#leader) break;
        this.#outbox ??= new BroadcastChannel(`${this.#base}/leader`);
        this.client.setRoute({ term: data.term, leader: data.leader, send: (msg) => this.#outbox.postMessage(msg) });
        break;
      case "leaving":
        this.client.clearRoute(data.term);
        break;
      case "reset":
        this.client.reset();
        break;
      case "failed":
        this.client.failed(data.error);
        break;
    }
  }

  /**
   * `destroy()` from any tab, run by the leader: the files go, every tab's iterators end, and
   * the leader opens the database again, empty, for the other tabs. When the destroying tab is
   * this one, it steps down instead (its backend is closed): after its reply has gone.
   */
  async #destroy(msg) {
    const local = msg.from === this.client.id;
    await this.#leader.destroy({ reopen: !local });
    this.#control.postMessage({ t: "reset" });
    this.client.reset();
    if (local) setTimeout(() => this.#resign().catch(() => {}));
  }

  /** `pagehide`: a leader hands over at once; a follower leaves the queue. */
  async leave() {
    this.#campaign?.abort();
    this.#campaign = null;
    await this.#resign();
  }

  /** `pageshow` after `pagehide` (back from the back/forward cache): queue again. */
  rejoin() {
    if (this.#campaign || this.#closed) return;
    this.#campaignForLead();
    this.#control.postMessage({ t: "hello" });
  }

  /** This tab is done with the database (the others go on). */
  async close() {
    this.#closed = true;
    this.#campaign?.abort();
    await this.#resign();
    this.client.end();
    for (const channel of [this.#control, this.#inbox, this.#outbox, ...this.#replyChannels.values()]) channel?.close();
    this.#releaseTabLock();
  }

  #reportRole() {
    const route = this.client.route;
    const role = !route ? "electing" : route.local ? "leader" : "follower";
    this.#onRole({ role, tab: this.client.id, leader: route?.leader ?? null });
  }
}

/** One tab alone with its database: today's exclusive mode (a second holder: storage_busy). */
export class ExclusiveTab {
  client;
  #options;
  #leader = null;
  #why;

  /** @param {{ why?: string }} how  why tabs cannot share here, for the storage_busy message */
  constructor(options, { why }) {
    this.#options = options;
    this.#why = why;
    this.client = new Client({ waitMs: Infinity });
  }

  async start() {
    const leader = new Leader(this.#options, { dedup: false });
    try {
      await leader.open();
    } catch (error) {
      if (error?.code === "storage_busy" && this.#why) error.message += `; ${this.#why}`;
      throw error;
    }
    this.#leader = leader;
    const send = (msg) => leader.serve(msg).then((reply) => reply && this.client.onReply(reply));
    this.client.setRoute({ term: "exclusive", local: true, leader: this.client.id, send });
  }

  async leave() {}

  rejoin() {}

  async close() {
    await this.#leader?.stop();
    this.client.end();
  }
}
