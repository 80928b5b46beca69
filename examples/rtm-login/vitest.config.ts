/**
 * The example's tests: the app's own modules (src/), unchanged, with Agora's SDKs swapped for
 * rtm-auth-gateway's compat modules by two alias lines. This is all an app adds to its test config
 * (docs/compat.md, "vitest"). The repository's `npm test` runs these tests as its "examples" project.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: [
      { find: /^agora-rtm-sdk$/, replacement: "rtm-auth-gateway/compat/agora-rtm-sdk" },
      { find: /^agora-rtm$/, replacement: "rtm-auth-gateway/compat/agora-rtm" },
    ],
  },
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["test/**/*.test.ts"],
  },
});
