// The README's usage example runs as written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, rm } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

test("the README example runs and prints the summary", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = readme.split("## Using it")[1].match(/```js\n([\s\S]*?)```/)[1];
  const file = new URL(`./.readme-example-${process.pid}.mjs`, import.meta.url);
  await writeFile(file, example);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file.pathname]);
    assert.match(stdout, /starting/);
    assert.match(stdout, /document: \{ pct: 50 \}/);
  } finally {
    await rm(file);
  }
});
