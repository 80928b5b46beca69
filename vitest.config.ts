import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import SuiteSequencer from "./test/support/sequencer.js";

/**
 * How `vitest run` shares the machine (README, "Testing"). Three groups, one after the other:
 *
 * 1. "parallel": every file not listed below, two files at a time on 2 cores (vitest's default
 *    there would be one), more on bigger machines. A worker process runs file after file and keeps
 *    the modules it has loaded (isolate: false): about a fifth less CPU than a fresh process per
 *    file. A file must therefore leave nothing behind (close what it starts, restore what it
 *    changes); `npx vitest run --isolate` gives every file its own process, to find one that does.
 * 2. "paced": the load generator's runs that must not be saturated (a fixed-rate run, and capacity
 *    searches whose steps only pass when the generator kept up: an arrival more than 100 ms late
 *    counts as saturation). They share the machine only with each other: light, mostly waiting on
 *    the clock, two at a time (all three at once saturated the 40/s run on 2 cores: its
 *    `generator.saturated` was true). The other load files assert exit codes and counts, and run
 *    with the parallel files.
 * 3. "serial": files that must not share the machine at all, one at a time: the timed chaos files
 *    (descriptor counts under a flood, slowloris cuts, backpressure and drain timings, Redis
 *    stalled under login load), every file that asserts an upper bound on wall time, and results
 *    that depend on their own pace. One worker process runs them one after the other and keeps
 *    the modules it has loaded (isolate: false, as in the parallel group: each file imports the
 *    gateway once instead of a fresh process per file).
 *
 * Within a group, test/support/sequencer.ts decides which file starts first: the longest parallel
 * files first, then test/load/artillery-run.test.ts, unit tests at the end. That file is not timed
 * and runs with the parallel files; started after the long ones, it finds the Artillery install
 * (begun in the background when the run starts, test/support/artillery-global-setup.ts, CI=true)
 * finished instead of holding a worker while it waits.
 *
 * Three chaos files run with the parallel files: token-fuzz (50,000 mutated tokens through the
 * verifier, in the test process: nothing timed or measured), churn and frame-fuzz. Those two
 * measure memory, but in their own gateway process, after a forced GC there, with the rate limits
 * out of the way or not reached, and nothing in them is timed: another test file on the other core
 * cannot change what they see, and each keeps about one core busy, so running them alone would
 * leave the other idle.
 */
export const PACED = ["test/load/load-metrics.test.ts", "test/load/load-honest.test.ts", "test/load/load-html.test.ts"];

export const SERIAL = [
  // Every chaos file but the three above.
  "test/chaos/!(token-fuzz|churn|frame-fuzz).test.ts",
  "test/cli/serve-start.test.ts", // the port-in-use exit comes in < 3 s
  "test/integration/control-plane.test.ts", // a whole expiry story in < 1 s of wall time
  "test/integration/malformed-frames.test.ts", // the login deadline closes within 1.5 s
  "test/integration/migration-readiness-cluster.test.ts", // a gateway's figures live 400 ms, refreshed every 50 ms
  "test/integration/redis-admin-writes.test.ts", // the read-back is bounded (< 1 s)
  "test/integration/redis-cluster.test.ts", // logins while a cluster master fails over (7 redis-server processes, 2 gateways)
  "test/integration/redis-sentinel.test.ts", // logins while the Sentinel primary fails over (5 redis processes, 2 gateways)
  "test/integration/redis-outage.test.ts", // store_unavailable in < 1 s
  "test/integration/remote-login-redis.test.ts", // a remote login closes the other session within 2 s; heartbeats every 100 ms
  "test/integration/rollout-redis.test.ts", // the other gateway sees a transition within 2 s
  "test/integration/two-gateways-redis.test.ts", // a remote login closes the other session within 2 s
  "test/unit/core/fault/uid-pattern.test.ts", // a many-star glob in < 50 ms
  "test/load/load-processes-40k.test.ts", // 40,000 sessions over 3 load and 3 gateway processes: the whole machine
];

/** Settings every group shares (a project does not inherit the root's test settings). */
const shared = {
  testTimeout: 20_000,
  hookTimeout: 30_000,
  pool: "forks",
} as const;

const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    // Run once by the root project, for every group's files: dist/ built from the current sources
    // (the gateway and CLI the tests spawn), and one Redis (REDIS_URL, a redis-server binary, or
    // 127.0.0.1:6379) provided to every file; with CI=true, the Artillery install started early.
    globalSetup: ["test/support/build-global-setup.ts", "test/support/redis-global-setup.ts", "test/support/artillery-global-setup.ts"],
    // Which file of a group starts first (test/support/sequencer.ts).
    sequence: { sequencer: SuiteSequencer },
    projects: [
      {
        test: {
          ...shared,
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: [...PACED, ...SERIAL],
          maxWorkers: workers,
          isolate: false,
        },
      },
      {
        // The example app of docs/compat.md: its own config (the two alias lines an app adds), so
        // the example runs here exactly as it would in the app's repository; with the parallel files.
        extends: "./examples/rtm-login/vitest.config.ts",
        test: {
          ...shared,
          name: "examples",
          // The same workers as the parallel group, which it runs with (vitest requires it of two
          // projects in one group).
          maxWorkers: workers,
        },
      },
      {
        test: {
          ...shared,
          name: "paced",
          include: PACED,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: "serial",
          include: SERIAL,
          fileParallelism: false,
          isolate: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
