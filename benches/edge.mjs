// Appends per second through the edge sandbox's HTTP surface, in workerd (Miniflare): the
// database in the Durable Object's storage (through the VFS) against the same object with its
// database in memory, in the same process. Prints figures; asserts nothing.
import { sandboxRuntime } from "../www/edge/miniflare.mjs";
import { client } from "../tests/edge/client.mjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const N = Number(process.env.N ?? 500);

async function appendsPerSecond(storage) {
  const dir = await mkdtemp(join(tmpdir(), "ff-edge-bench-"));
  const mf = sandboxRuntime({ persist: dir, bindings: storage === "memory" ? { FF_STORAGE: "memory" } : {} });
  try {
    const api = client(mf);
    await api.post("/executions", {});
    const handle = (await api.post("/claim", { workerId: "bench", leaseTtlMs: 600_000 })).json;
    for (let i = 0; i < 50; i++) await api.post("/frames", { handle, frame: { payload: "warm" } });
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await api.post("/frames", { handle, frame: { payload: "x".repeat(100) } });
    return (N / (performance.now() - t0)) * 1000;
  } finally {
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

const memory = await appendsPerSecond("memory");
const durable = await appendsPerSecond("durable-object");
console.log(`appends through HTTP (${N} sequential, 100 B): memory ${memory.toFixed(0)}/s, Durable Object storage ${durable.toFixed(0)}/s (${(durable / memory).toFixed(2)} × memory)`);
