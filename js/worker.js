// The dedicated Worker behind openInWorker(): owns one database and answers calls. It forwards
// exactly the Backend's public methods and tells the page which of them are iterators.
//
// Group commit: calls that arrive together (queued while the worker was busy) run in one
// transaction through `groupCommit`, so they share one commit — on OPFS the commit is most of
// an append's cost. Each call still succeeds or fails on its own, and its reply is sent only
// after the commit that holds it.

import { open, Backend } from "./index.js";
import { publicMethods } from "./api.js";
import { errorToData } from "./error.js";

let backend = null;
let methods = [];
const followers = new Map();
let nextFollower = 1;
/** Calls that need the whole database, or wait: they never join a group. */
const SOLO = new Set(["exportImage", "close", "destroy", "tailStream", "groupCommit"]);

const reply = (id, settled) =>
  settled.then(
    (value) => self.postMessage({ id, ok: true, value }),
    (error) => self.postMessage({ id, ok: false, error: errorToData(error) }),
  );

/** Calls waiting for the next group, and the yield after which it runs. */
let queued = [];
const turn = new MessageChannel();
turn.port1.onmessage = () => runGroup();

function runGroup() {
  const calls = queued;
  queued = [];
  if (calls.length === 0) return;
  let settled = [];
  const group = backend.groupCommit(() => {
    settled = calls.map(({ method, args }) => forward(method, args));
  });
  group.catch(() => {}); // each call's own reply carries the outcome
  calls.forEach(({ id }, i) => reply(id, settled[i]));
}

/** A plain method call, as a Promise whatever it does. */
function forward(method, args) {
  if (!backend) return Promise.reject(new Error("the database is not open"));
  if (!methods.includes(method) || Backend.iteratorMethods.includes(method)) {
    return Promise.reject(new Error(`unknown method ${method}`));
  }
  try {
    return Promise.resolve(backend[method](...args));
  } catch (error) {
    return Promise.reject(error);
  }
}

async function handle(method, args) {
  switch (method) {
    case "open":
      backend = await open(args[0]);
      methods = publicMethods();
      return { name: backend.name, storage: backend.storage, methods, iterators: Backend.iteratorMethods };
    case "group": {
      // The page's own groupCommit: its calls, recorded there, run here as one group.
      let settled = [];
      const group = backend.groupCommit(() => {
        settled = args[0].map(({ method, args: callArgs }) => forward(method, callArgs));
      });
      await group.catch(() => {});
      return Promise.all(settled.map((p) => p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error: errorToData(error) }))));
    }
    case "follow": {
      const [name, callArgs] = args;
      if (!Backend.iteratorMethods.includes(name)) throw new Error(`${name} is not an iterator method`);
      const id = nextFollower++;
      followers.set(id, backend[name](...callArgs));
      return id;
    }
    case "next": {
      // Everything the follower has ready (at least one item, waiting for it): one reply per
      // batch rather than per item. An empty batch means done.
      const [id, max] = args;
      const follower = followers.get(id);
      if (!follower) return []; // released or closed meanwhile
      const batch = await follower.nextBatch(max).catch((error) => {
        followers.delete(id);
        throw error;
      });
      if (batch.length === 0) followers.delete(id);
      return batch;
    }
    case "release":
      await followers.get(args[0])?.return();
      followers.delete(args[0]);
      return undefined;
    case "close":
    case "destroy":
      // First: waiting iterators then fail with state/closed, as they do without a worker.
      await backend[method]();
      followers.clear();
      return undefined;
    default:
      return forward(method, args);
  }
}

self.onmessage = ({ data: { id, method, args } }) => {
  const groupable = backend && methods.includes(method) && !SOLO.has(method) && !Backend.iteratorMethods.includes(method);
  if (groupable) {
    if (queued.length === 0) turn.port2.postMessage(null);
    queued.push({ id, method, args });
    return;
  }
  runGroup(); // calls that came first go first
  reply(id, Promise.resolve().then(() => handle(method, args)));
};

// A call that arrived but cannot be read: the page fails the calls in flight instead of
// waiting forever.
self.onmessageerror = () => self.postMessage({ undeliverable: true });
