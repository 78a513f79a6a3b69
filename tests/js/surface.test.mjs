// One source of truth: the methods of open()'s Backend, the declared Backend type and the
// table of iterator methods agree (the openInWorker side is checked in browser.test.mjs,
// against the same list).
import { test } from "node:test";
import assert from "node:assert/strict";
import ts from "typescript";
import { open, Backend } from "ff-backend-wasm";
import { runtimeMethods } from "../e2e/surface.mjs";

/** Method names of the declared `Backend` class, read with the TypeScript compiler. */
function declaredMethods() {
  const entry = new URL("../../js/index.d.ts", import.meta.url).pathname;
  const program = ts.createProgram([entry], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
  const backend = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "Backend");
  const resolved = backend.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(backend) : backend;
  const type = checker.getDeclaredTypeOfSymbol(resolved);
  return checker.getPropertiesOfType(type)
    .filter((p) => p.flags & ts.SymbolFlags.Method && !p.name.startsWith("__@") && p.name !== "free")
    .map((p) => p.name)
    .sort();
}

test("open()'s Backend, the declared Backend and the iterator table agree", async () => {
  const ff = await open();
  const runtime = runtimeMethods(ff);
  assert.deepEqual(runtime, declaredMethods());
  for (const name of ["createExecution", "listExecutions", "tail", "completions", "leaseHistory", "close"]) {
    assert.ok(runtime.includes(name), `${name} is missing`);
  }
  assert.ok(ff instanceof Backend);
  assert.equal(typeof ff[Symbol.asyncDispose], "function");
  for (const name of Backend.iteratorMethods) {
    assert.ok(runtime.includes(name), `iterator method ${name} is not a method`);
  }
  // The table is complete: every other method returns a Promise, each iterator method an iterator.
  const { executionId } = await ff.createExecution();
  const args = { tail: [executionId, 0], completions: [], leaseHistory: [] };
  for (const name of Backend.iteratorMethods) {
    const it = ff[name](...args[name]);
    assert.equal(typeof it.next, "function");
    assert.equal(typeof it[Symbol.asyncIterator]().next, "function", `${name} is not async-iterable`);
    await it.return();
  }
  for (const name of runtime.filter((n) => !Backend.iteratorMethods.includes(n) && n !== "close")) {
    const result = ff[name]();
    assert.ok(result instanceof Promise, `${name} does not return a Promise`);
    await result.catch(() => {});
  }
  assert.equal(await ff.waiterCount(), 0);
});
