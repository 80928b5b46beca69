#!/usr/bin/env node
// The `rtm-auth` command. It runs the compiled CLI in dist/, which `npm ci` builds through the
// `prepare` script (and `npm run build` rebuilds after a change).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/gateway/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("rtm-auth: dist/ is missing; run `npm run build` (npm ci does it through `prepare`).\n");
  process.exit(2);
}
await import(entry.href);
