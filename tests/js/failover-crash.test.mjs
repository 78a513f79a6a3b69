// The leader tab's page closes in the middle of a burst of appends from three tabs, 10 times
// at random points; here its worker vanishes without handing over (as a crash). Every append
// whose promise resolved is stored exactly once, every tail goes on without a gap or a
// duplicate, the completion stream is whole, and calls wait through the change instead of
// failing (tests/e2e/tabs-driver.mjs). The other 10 of the 20 runs are in the other failover file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, shutdown, problems, failovers } from "../e2e/tabs-driver.mjs";

before(launch);
after(shutdown);

test("the leader tab vanishes mid-burst, 10 times, as in a crash: every resolved append once, tails and completions whole", { timeout: 115_000 }, async () => {
  const times = await failovers(10, { handover: false });
  assert.ok(times.at(-1) < 10_000, "every failover well within leaderWaitMs");
  assert.deepEqual(problems, []);
});
