// A big sandbox for timing ff-graduate: EXECUTIONS completed executions streaming FRAMES frames
// between them (about 60 bytes each, every 50th a summary patch), built through the package on
// a memory database and exported to OUT.
//
//   node tests/graduate/bench.mjs OUT [EXECUTIONS=10000] [FRAMES=1000000]
import { open } from "ff-backend-wasm";
import { writeFileSync } from "node:fs";

const [out, executions = "10000", frames = "1000000"] = process.argv.slice(2);
const n = Number(executions);
const perExecution = Math.ceil(Number(frames) / n);
const ff = await open();
const started = Date.now();
const batch = 50; // executions per group commit
let appended = 0;
for (let first = 0; first < n; first += batch) {
  const count = Math.min(batch, n - first);
  const created = [];
  ff.groupCommit(() => {
    for (let i = 0; i < count; i++) created.push(ff.createExecution({ lane: "bench", payload: `job ${first + i}` }));
  });
  await Promise.all(created);
  const handles = [];
  ff.groupCommit(() => {
    for (let i = 0; i < count; i++) handles.push(ff.claim({ workerId: "bench", lane: "bench" }));
  });
  const claimed = await Promise.all(handles);
  const writes = [];
  ff.groupCommit(() => {
    for (const h of claimed) {
      for (let f = 0; f < perExecution && appended < Number(frames); f++, appended++) {
        const summary = f % 50 === 49;
        const payload = summary ? JSON.stringify({ done: f + 1 }) : `frame ${f} of a long build log, padded to about sixty bytes`;
        writes.push(ff.appendFrame(h, { payload, mode: summary ? "summary" : "durable" }));
      }
      writes.push(ff.complete(h, "ok"));
    }
  });
  await Promise.all(writes);
}
const image = await ff.exportImage();
writeFileSync(out, image);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`${n} executions, ${appended} frames in ${seconds} s; ${(image.length / 1048576).toFixed(0)} MiB written to ${out}`);
await ff.close();
