// A Worker that reports when it started, when the package's module graph loaded, and how long
// the first open() (the .wasm's fetch and compile included) and a second open() took: of the
// OPFS database named by `?name=`, else of a memory database.
const started = performance.now();
const name = new URL(import.meta.url).searchParams.get("name");
const { open } = await import("/js/index.js");
const imported = performance.now();
await (await open()).close();
const first = performance.now();
await (await open(name ? { storage: "opfs", name } : {})).close();
const second = performance.now();
postMessage({ origin: performance.timeOrigin, started, imported, first, second });
