// The dedicated Worker behind openInWorker(): one per tab (per openInWorker call). It answers
// the page's calls through a Client, which sends them to whichever worker serves the database:
// this one alone (exclusive), or the leader among the tabs that share it (js/shared.js;
// docs/API.md, "Many tabs, one database"). It forwards exactly the Backend's public methods
// and tells the page which of them are iterators.

import { Backend, initSync, makeLoader, publicMethods, wasmUrl } from "./api.js";
import { errorToData, FlowFabricError } from "./error.js";
import { canShare, ExclusiveTab, SharedTab } from "./shared.js";

/** The tab: its Client, and how it reaches the database. */
let tab = null;
let methods = [];

const reply = (id, settled) =>
  settled.then(
    (value) => self.postMessage({ id, ok: true, value }),
    (error) => self.postMessage({ id, ok: false, error: errorToData(error) }),
  );

const WHY_NOT_SHARED =
  "tabs cannot share a database here (no Web Locks: navigator.locks is missing), so close the other tab that holds it";

const load = makeLoader(wasmUrl);

async function start(options, module) {
  const { shared = false, leaderWaitMs = 10_000, ...openOptions } = options ?? {};
  // The module is loaded in every tab, leader or not: its tables (methods, iterators) are
  // needed either way. The page compiles it once and sends it with every open (js/proxy.js), so
  // a Worker only instantiates it; without one, the Worker fetches and compiles it itself.
  if (module instanceof WebAssembly.Module) initSync({ module });
  else await load();
  methods = publicMethods();
  let role = { role: "exclusive", tab: null, leader: null };
  if (shared && canShare()) {
    tab = new SharedTab(openOptions, {
      waitMs: leaderWaitMs,
      onRole: (now) => {
        role = now;
        self.postMessage({ role: now });
      },
    });
  } else {
    tab = new ExclusiveTab(openOptions, { why: shared ? WHY_NOT_SHARED : undefined });
  }
  try {
    await tab.start();
  } catch (error) {
    await tab.close().catch(() => {});
    tab = null;
    throw error;
  }
  return {
    name: openOptions.name ?? "flowfabric.db",
    storage: openOptions.storage ?? "memory",
    methods,
    iterators: Backend.iteratorMethods,
    role,
  };
}

async function handle(method, args) {
  if (method === "open") return start(args[0], args[1]);
  if (!tab) throw new FlowFabricError("the database is not open", { kind: "state", code: "closed" });
  const { client } = tab;
  switch (method) {
    case "group":
      // The page's own groupCommit: its calls, recorded there, run as one group.
      return client.group(args[0]);
    case "follow": {
      const [name, callArgs] = args;
      if (!Backend.iteratorMethods.includes(name)) throw new Error(`${name} is not an iterator method`);
      return client.follow(name, callArgs);
    }
    case "next":
      return client.next(args[0], args[1]);
    case "release":
      client.release(args[0]);
      return undefined;
    case "close":
      // This tab lets go; the database closes when no tab is left to lead.
      await tab.close();
      return undefined;
    case "destroy":
      await client.call("destroy", []);
      await tab.close();
      return undefined;
    default:
      if (!methods.includes(method) || Backend.iteratorMethods.includes(method)) throw new Error(`unknown method ${method}`);
      return client.call(method, args);
  }
}

self.onmessage = ({ data }) => {
  if (data.leave) return void tab?.leave().catch(() => {});
  if (data.rejoin) return void tab?.rejoin();
  reply(data.id, Promise.resolve().then(() => handle(data.method, data.args)));
};

// A call that arrived but cannot be read: the page fails the calls in flight instead of
// waiting forever.
self.onmessageerror = () => self.postMessage({ undeliverable: true });
