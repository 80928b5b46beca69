/**
 * vitest globalSetup: one built gateway for the whole run. The CLI, load, chaos and README tests
 * spawn `bin/rtm-auth.js` and `dist/bench/*.js`, so `dist/` must match the sources before any file
 * starts. When `dist/.tsbuildinfo` is missing or older than a source file (`.ts` under core/,
 * policies/, gateway/, client/, compat/, bench/, or a tsconfig), this runs `tsc -b tsconfig.build.json`
 * (what `npm run build` runs) once, here, instead of each file building on its own, which two
 * files running side by side would do at the same time over the same outputs. `npm test` builds
 * first, so there it only compares modification times (a few hundred `stat` calls).
 *
 * When the build fails, the compiler's output is printed. The run then stops before any test when
 * there was no dist/ at all or with `CI=true`; otherwise it goes on with the dist/ that was there
 * (a half-edited file elsewhere in the tree does not stop a unit test that spawns nothing).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE_DIRS = ["core", "policies", "gateway", "client", "compat", "bench"];
const CONFIGS = ["tsconfig.json", "tsconfig.build.json"];
const BUILD_INFO = join(ROOT, "dist", ".tsbuildinfo");
const NOT_BUILT = "dist/ has not been built";

/** The newest modification time (ms) of a `.ts` file under `dir`, recursively; 0 when there is none. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why dist/ must be built, or undefined when it is newer than every source. */
export function buildNeeded(): string | undefined {
  const builtAt = statSync(BUILD_INFO, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined) return NOT_BUILT;
  const newest = Math.max(...SOURCE_DIRS.map((d) => newestTs(join(ROOT, d))), ...CONFIGS.map((f) => statSync(join(ROOT, f)).mtimeMs));
  return newest > builtAt ? "a source file is newer than dist/" : undefined;
}

export default function setup(): void {
  const why = buildNeeded();
  if (why === undefined) return;
  console.log(`[build] ${why}: tsc -b tsconfig.build.json, once for this run`);
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-b", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
  if (r.status === 0) return;
  const output = `${r.stdout}${r.stderr}`.trim();
  if (why === NOT_BUILT || process.env.CI === "true") throw new Error(`the build failed (npm run build), so no test was run:\n${output}`);
  console.warn(`[build] the build failed; the tests that spawn the gateway use the dist/ that was there:\n${output}`);
}
