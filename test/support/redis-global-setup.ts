/**
 * vitest globalSetup: finds one Redis for the whole run (test/support/redis.ts) and provides
 * it to every test file as `inject("redis")`; stops what it started at the end.
 */
import type { TestProject } from "vitest/node";
import { acquireRedis } from "./redis.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const acquired = await acquireRedis();
  project.provide("redis", acquired.found);
  return () => acquired.release();
}
