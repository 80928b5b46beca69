/**
 * Artillery for the engine's tests, installed as a user installs it next to the engine
 * (docs/load-testing.md, "Artillery"), into a cache directory rather than this repository's own
 * dependencies: Artillery's tree is about 970 packages and 590 MB, which every `npm ci` of the
 * project would otherwise fetch and unpack.
 *
 * - `examples/artillery/package.json` and its `package-lock.json` pin Artillery 2.0.21 (the last
 *   release whose engines field takes Node 20) and its whole tree. They are installed with
 *   `npm ci --ignore-scripts` into `node_modules/.cache/rtm-auth-artillery/<lock hash>/`, once per
 *   lockfile: no install script runs, so Playwright's (pulled in by Artillery's browser engine)
 *   never tries to download a browser, whatever npm's version.
 * - Then, every run: the engine (`packages/artillery-engine-rtm-auth`) is installed there as a copy
 *   (`npm install --install-links`, which brings its own `ws`), and `rtm-auth-gateway` is a link
 *   to this checkout (its `dist/`, built by the suite's global setup).
 *
 * Concurrent runs (two test processes) take turns through a lock directory.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ARTILLERY_VERSION = "2.0.21";
export const EXAMPLES = join(ROOT, "examples", "artillery");
const ENGINE = join(ROOT, "packages", "artillery-engine-rtm-auth");
const CACHE = join(ROOT, "node_modules", ".cache", "rtm-auth-artillery");
/** Longest npm step (a cold `npm ci` of Artillery's tree takes about 2 minutes here). */
const NPM_TIMEOUT_MS = 600_000;
/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 15 * 60_000;

export interface ArtilleryRunner {
  /** The directory Artillery, the engine and rtm-auth-gateway are installed in (run Artillery from it). */
  readonly dir: string;
  /** Artillery's command (`node BIN run …`). */
  readonly bin: string;
}

/** Runs `npm ARGS` in `cwd`; rejects with the end of its output when it fails. */
function npm(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", [...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1", npm_config_update_notifier: "false" },
    });
    let output = "";
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-4_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), NPM_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(" ")} failed (${signal ?? `exit ${code}`}): ${output.trim()}`));
    });
  });
}

async function withLock<T>(name: string, body: () => Promise<T>): Promise<T> {
  const lock = `${name}.lock`;
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else if (waited > NPM_TIMEOUT_MS) throw new Error(`${lock} is held by another run`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Installs (once) Artillery, then this checkout's engine and gateway next to it. */
export async function artilleryRunner(): Promise<ArtilleryRunner> {
  const lockfile = readFileSync(join(EXAMPLES, "package-lock.json"));
  const hash = createHash("sha256").update(lockfile).digest("hex").slice(0, 12);
  mkdirSync(CACHE, { recursive: true });
  const dir = join(CACHE, `artillery-${ARTILLERY_VERSION}-${hash}`);
  const bin = join(dir, "node_modules", "artillery", "bin", "run");
  return withLock(dir, async () => {
    if (!existsSync(bin)) {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      cpSync(join(EXAMPLES, "package.json"), join(tmp, "package.json"));
      cpSync(join(EXAMPLES, "package-lock.json"), join(tmp, "package-lock.json"));
      try {
        await npm(["ci", "--ignore-scripts", "--no-audit", "--no-fund"], tmp);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    // The engine as a user installs it (a copy, with its dependencies), this checkout's gateway
    // as a link (npm leaves it alone: it is created after npm ran, and removed before it runs).
    const link = join(dir, "node_modules", "rtm-auth-gateway");
    // Only ever the link itself: never anything through it (it points at this checkout).
    if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() === true) unlinkSync(link);
    await npm(["install", "--no-save", "--install-links", "--ignore-scripts", "--no-audit", "--no-fund", ENGINE], dir);
    symlinkSync(ROOT, link, "dir");
    return { dir, bin };
  });
}
