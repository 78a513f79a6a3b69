// A Worker that opens a database the way openInWorker's does (the package as one bundled file,
// the .wasm compiled by the page and sent over) and reports when each step ended: the Worker
// running, the package imported, the module instantiated, the OPFS database named in the
// message opened. benches/run.mjs bundles the package into /target/bench/package.js first.
const started = performance.now();
self.onmessage = async ({ data: { module, name } }) => {
  const { initSync, open } = await import("/target/bench/package.js");
  const imported = performance.now();
  initSync({ module });
  const instantiated = performance.now();
  await (await open({ storage: "opfs", name })).close();
  const opened = performance.now();
  postMessage({ origin: performance.timeOrigin, started, imported, instantiated, opened });
};
