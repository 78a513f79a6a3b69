// The dedicated Worker behind openInWorker(): owns one database and answers RPC calls.

import { open } from "./index.js";
import { errorToData } from "./error.js";
import { FORWARDED } from "./proxy.js";

let backend = null;
const tails = new Map();
let nextTail = 1;

async function handle(method, args) {
  if (method === "open") {
    backend = await open(args[0]);
    return { name: backend.name, storage: backend.storage };
  }
  if (!backend) throw new Error("the database is not open");
  switch (method) {
    case "openTail": {
      const id = nextTail++;
      tails.set(id, backend.tail(...args));
      return id;
    }
    case "tailNext": {
      const tail = tails.get(args[0]);
      if (!tail) return { done: true, value: undefined }; // released or closed meanwhile
      const result = await tail.next();
      if (result.done) tails.delete(args[0]);
      return result;
    }
    case "tailRelease":
      await tails.get(args[0])?.return();
      tails.delete(args[0]);
      return undefined;
    case "close":
      // Close first: waiting tails then fail with state/closed, as they do without a worker.
      await backend.close();
      tails.clear();
      return undefined;
    default:
      if (!FORWARDED.includes(method)) throw new Error(`unknown method ${method}`);
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
