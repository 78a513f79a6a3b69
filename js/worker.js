// The dedicated Worker behind openInWorker(): owns one database and answers calls. It forwards
// exactly the Backend's public methods and tells the page which of them are iterators.

import { open, Backend } from "./index.js";
import { publicMethods } from "./api.js";
import { errorToData } from "./error.js";

let backend = null;
let methods = [];
const followers = new Map();
let nextFollower = 1;

async function handle(method, args) {
  if (method === "open") {
    backend = await open(args[0]);
    methods = publicMethods();
    return { name: backend.name, storage: backend.storage, methods, iterators: Backend.iteratorMethods };
  }
  if (!backend) throw new Error("the database is not open");
  switch (method) {
    case "follow": {
      const [name, callArgs] = args;
      if (!Backend.iteratorMethods.includes(name)) throw new Error(`${name} is not an iterator method`);
      const id = nextFollower++;
      followers.set(id, backend[name](...callArgs));
      return id;
    }
    case "next": {
      const follower = followers.get(args[0]);
      if (!follower) return { done: true, value: undefined }; // released or closed meanwhile
      const result = await follower.next().catch((error) => {
        followers.delete(args[0]);
        throw error;
      });
      if (result.done) followers.delete(args[0]);
      return result;
    }
    case "release":
      await followers.get(args[0])?.return();
      followers.delete(args[0]);
      return undefined;
    case "close":
      // Close first: waiting iterators then fail with state/closed, as they do without a worker.
      await backend.close();
      followers.clear();
      return undefined;
    case "followerCount":
      return followers.size;
    default:
      if (!methods.includes(method) || Backend.iteratorMethods.includes(method)) {
        throw new Error(`unknown method ${method}`);
      }
      return backend[method](...args);
  }
}

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    self.postMessage({ id, ok: true, value: await handle(method, args) });
  } catch (error) {
    self.postMessage({ id, ok: false, error: errorToData(error) });
  }
};

// A call that arrived but cannot be read: the page fails the calls in flight instead of
// waiting forever.
self.onmessageerror = () => self.postMessage({ undeliverable: true });
