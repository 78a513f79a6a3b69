// The public method names of a Backend instance (functions on it or its prototype chain, minus
// wasm-bindgen's plumbing): what the surface tests compare, in Node and in the page.
export function runtimeMethods(backend) {
  const names = new Set();
  for (let o = backend; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (typeof d.value === "function" && name !== "constructor" && name !== "free" && !name.startsWith("__")) names.add(name);
    }
  }
  return [...names].sort();
}
