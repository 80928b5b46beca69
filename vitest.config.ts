import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // One Redis for the whole run (REDIS_URL, testcontainers, redis-server or 127.0.0.1:6379).
    globalSetup: ["test/support/redis-global-setup.ts"],
  },
});
