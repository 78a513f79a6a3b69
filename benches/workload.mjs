// The benchmark workload, the same in Node and in the browser: it takes an opened Backend (and
// a way to open fresh ones) and returns figures. Rates are per second; latencies in ms. It
// asserts nothing: `benches/run.mjs` prints the figures with medians over several runs.

const PAYLOAD = "x".repeat(100);
const now = () => performance.now();

async function rate(n, op) {
  const t0 = now();
  for (let i = 0; i < n; i++) await op(i);
  return (n / (now() - t0)) * 1000;
}

async function started(ff, lane = "bench") {
  await ff.createExecution({ lane });
  return ff.claim({ lane, workerId: "bench", leaseTtlMs: 3_600_000 });
}

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** Creates `n` executions quickly (grouped commits), on `lane`. */
async function fill(ff, n, lane) {
  for (let done = 0; done < n; done += 1000) {
    const batch = [];
    await ff.groupCommit(() => {
      for (let i = done; i < Math.min(n, done + 1000); i++) batch.push(ff.createExecution({ lane, priority: i % 7 }));
    });
    await Promise.all(batch);
  }
}

/** The storage limit: one-row INSERT transactions through the same SQLite and storage. */
export async function rawInsertsPerS(ff, quick = false) {
  const n = quick ? 2000 : 20_000;
  await ff.benchRawInserts(n / 4); // warm up (the wasm compiler's optimizing tier)
  const t0 = now();
  await ff.benchRawInserts(n);
  const perS = (n / (now() - t0)) * 1000;
  await ff.close();
  return perS;
}

/**
 * @param {() => Promise<object>} openFresh  opens an empty backend of the kind being measured
 * @param {{ quick?: boolean, concurrent?: boolean, claimCurve?: number[] }} options
 */
export async function measure(openFresh, { quick = false, concurrent = false, claimCurve = [1000, 10_000, 100_000] } = {}) {
  const n = quick ? 500 : 3000;
  const figures = {};
  let ff = await openFresh();

  let h = await started(ff);
  for (let i = 0; i < 100; i++) await ff.appendFrame(h, { payload: PAYLOAD }); // warm up
  figures.durableAppendsPerS = await rate(n, () => ff.appendFrame(h, { payload: PAYLOAD }));
  h = await started(ff);
  figures.summaryPatchesPerS = await rate(n, (i) => ff.appendFrame(h, { payload: `{"step":${i},"ok":true}`, mode: "summary" }));
  figures.createsPerS = await rate(n, () => ff.createExecution({ lane: "creates" }));

  if (concurrent) {
    h = await started(ff);
    const t0 = now();
    await Promise.all(Array.from({ length: n }, () => ff.appendFrame(h, { payload: PAYLOAD })));
    figures.concurrentAppendsPerS = (n / (now() - t0)) * 1000;
  }

  // Claims with `queued` executions waiting: the curve should stay flat.
  figures.claimsPerS = {};
  for (const queued of claimCurve) {
    const lane = `claims-${queued}`;
    await fill(ff, queued, lane);
    const claims = Math.min(quick ? 200 : 1000, queued);
    figures.claimsPerS[queued] = await rate(claims, () => ff.claim({ lane, workerId: "bench", leaseTtlMs: 3_600_000 }));
  }

  // Reading a 10,000-frame stream in pages of 1,000.
  h = await started(ff, "reads");
  const appends = [];
  await ff.groupCommit(() => {
    for (let i = 0; i < 10_000; i++) appends.push(ff.appendFrame(h, { payload: PAYLOAD }));
  });
  await Promise.all(appends);
  const t0 = now();
  let frames = 0;
  for (let round = 0; round < (quick ? 2 : 5); round++) {
    let from = "start";
    for (;;) {
      const page = await ff.readStream(h.executionId, 0, { from, limit: 1000 });
      frames += page.frames.length;
      if (page.frames.length < 1000) break;
      const [ms, seq] = page.frames.at(-1).id.split("-");
      from = `${ms}-${Number(seq) + 1}`;
    }
  }
  figures.readFramesPerS = (frames / (now() - t0)) * 1000;

  // Tail wake-up: from calling appendFrame to the parked tail's next() resolving with it.
  h = await started(ff, "tail");
  const it = ff.tail(h.executionId, 0);
  const wakes = [];
  for (let i = 0; i < (quick ? 100 : 400); i++) {
    const next = it.next();
    await new Promise((r) => setTimeout(r, 1));
    const start = now();
    await ff.appendFrame(h, { payload: `p${i}` });
    await next;
    wakes.push(now() - start);
  }
  await it.return();
  figures.tailWakeP50Ms = percentile(wakes, 0.5);
  figures.tailWakeP99Ms = percentile(wakes, 0.99);
  await ff.close();
  return figures;
}
