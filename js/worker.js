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
      const result = await tails.get(args[0]).next();
      if (result.done) tails.delete(args[0]);
      return result;
    }
    case "tailRelease":
      await tails.get(args[0])?.return();
      tails.delete(args[0]);
      return undefined;
    case "close":
      for (const tail of tails.values()) tail.return();
      tails.clear();
      return backend.close();
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
