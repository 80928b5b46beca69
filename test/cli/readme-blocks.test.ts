/**
 * README cannot rot (issue 14, item 3): every ```sh and ```ts block of README.md runs, in README
 * order, against one gateway started as `npm start` starts it (`rtm-auth serve`, dev seed on) on a
 * free port; the documented port 8080 is replaced by that port. Each block must exit 0.
 *
 * - A shell block runs in a fresh `bash` with `set -euo pipefail` and none of the README's variables
 *   set, so a block must set what it uses (`A`, `APP`, `TOKEN`, …); `curl` fails on an HTTP error
 *   (`--fail-with-body`), so a call the gateway refuses fails the block.
 * - A TypeScript block is type-checked (NodeNext, strict, against the package's own `exports` and
 *   types) and run: with node after transpiling, or with vitest when it imports "vitest".
 * - Blocks run in a directory that mirrors the repository (symlinks), so what they write
 *   (report.json, rehearsal.html, …) lands there and not in the tree.
 * - After the last block the gateway is still usable: healthy, the clock at real time and running,
 *   the dev projects in their modes.
 * - A block that needs what the test cannot give (docker, Redis processes, long loads, installing)
 *   is marked in README by `<!-- readme-test: skip (REASON) -->` on the line before it; the skipped
 *   blocks are listed with their reasons. A marker that is malformed or not followed by a block fails.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const MARKER = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$/;

interface Block {
  /** 1-based line of the opening fence in README.md. */
  readonly line: number;
  readonly lang: "sh" | "ts";
  readonly code: string;
  /** The reason of the skip marker right before the block, if any. */
  readonly skip?: string;
}

/** The ```sh and ```ts blocks of `markdown`; throws on a marker that is malformed or precedes no block. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let pendingSkip: { reason: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (/^\s*<!--.*readme-test:/.test(text)) {
      const m = MARKER.exec(text.trim());
      if (m === null) throw new Error(`README.md:${i + 1}: malformed marker (expected <!-- readme-test: skip (REASON) -->): ${text}`);
      pendingSkip = { reason: m[1]!.trim(), line: i + 1 };
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(text);
    if (fence === null) {
      if (text.trim() !== "" && pendingSkip !== undefined) throw new Error(`README.md:${pendingSkip.line}: a skip marker must be right before a block`);
      continue;
    }
    const lang = fence[1]!;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (end >= lines.length) throw new Error(`README.md:${i + 1}: unclosed block`);
    if (lang === "sh" || lang === "ts") {
      blocks.push({ line: i + 1, lang, code: lines.slice(i + 1, end).join("\n"), ...(pendingSkip === undefined ? {} : { skip: pendingSkip.reason }) });
    } else if (pendingSkip !== undefined) {
      throw new Error(`README.md:${pendingSkip.line}: a skip marker before a \`\`\`${lang} block (only sh and ts blocks run)`);
    }
    pendingSkip = undefined;
    i = end;
  }
  if (pendingSkip !== undefined) throw new Error(`README.md:${pendingSkip.line}: a skip marker must be right before a block`);
  return blocks;
}

const BLOCKS = readmeBlocks(README);
let dir: string;
let gateway: ChildProcess;
let gatewayErr = "";
let port: number;
let http: string;

/** The environment of a block: ours without the README's variables or npm's own npm_* settings. */
function blockEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.toLowerCase().startsWith("npm_") || ["A", "APP", "TOKEN", "PORT", "HOST", "DEV_SEED"].includes(k)) continue;
    env[k] = v;
  }
  return env;
}

/** The block's code for the test's gateway: the documented port 8080 becomes the test's. */
const onOurPort = (code: string): string => code.replaceAll(":8080", `:${port}`);
const fileOf = (b: Block): string => (/from "vitest"/.test(b.code) ? `readme-block-${b.line}.test.ts` : `readme-block-${b.line}.ts`);

function failure(b: Block, r: { status: number | null; stdout: string; stderr: string; error?: Error }): string {
  return [
    `README.md:${b.line} (${b.lang}) exited ${r.status}${r.error ? ` (${r.error.message})` : ""}`,
    `--- block ---\n${b.code}`,
    `--- stdout ---\n${r.stdout.slice(-4000)}`,
    `--- stderr ---\n${r.stderr.slice(-4000)}`,
    `--- gateway stderr (last lines) ---\n${gatewayErr.slice(-2000)}`,
  ].join("\n");
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/gateway/cli/main.js"))) spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
  // A directory with the repository's files (bin, dist, docs …) as symlinks, and the package installed
  // as a link (what `npm install <path>` makes): node_modules/rtm-auth-gateway and .bin/rtm-auth, beside
  // the repository's other packages. `npx rtm-auth` and `import "rtm-auth-gateway/…"` resolve there as
  // in the repository. (With the package's own package.json in the directory, npx would link it into
  // its cache and run its `prepare` build first, as it does once in the repository.)
  dir = mkdtempSync(join(tmpdir(), "rtm-auth-readme-"));
  for (const name of readdirSync(ROOT)) {
    if (name.startsWith(".") || ["node_modules", "package.json", "package-lock.json", "tsconfig.json", "vitest.config.ts"].includes(name)) continue;
    symlinkSync(join(ROOT, name), join(dir, name));
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "readme-blocks", private: true, type: "module" }));
  const modules = join(ROOT, "node_modules");
  mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
  for (const name of readdirSync(modules)) if (name !== ".bin") symlinkSync(join(modules, name), join(dir, "node_modules", name));
  for (const name of readdirSync(join(modules, ".bin"))) symlinkSync(join(modules, ".bin", name), join(dir, "node_modules/.bin", name));
  symlinkSync(ROOT, join(dir, "node_modules/rtm-auth-gateway"));
  symlinkSync(join(ROOT, "bin/rtm-auth.js"), join(dir, "node_modules/.bin/rtm-auth"));
  // The TypeScript blocks, for tsc and for their runs.
  const tsBlocks = BLOCKS.filter((b) => b.lang === "ts" && b.skip === undefined);
  for (const b of tsBlocks) writeFileSync(join(dir, fileOf(b)), b.code);
  writeFileSync(
    join(dir, "readme-tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", lib: ["ES2023"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] },
      files: tsBlocks.map(fileOf),
    }),
  );
  writeFileSync(join(dir, "readme-vitest.config.mjs"), `export default { test: { include: ["readme-block-*.test.ts"], testTimeout: 20000 } };\n`);

  // The gateway, as npm start runs it (dev seed on), on a free port.
  gateway = spawn(process.execPath, [join(dir, "bin/rtm-auth.js"), "serve", "--port", "0", "--json"], { cwd: dir, env: { ...blockEnv(), LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
  gateway.stderr?.on("data", (d: Buffer) => (gatewayErr = (gatewayErr + d.toString()).slice(-20_000)));
  const summary = await new Promise<{ http: string }>((resolve, reject) => {
    let out = "";
    gateway.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!));
    });
    gateway.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${gatewayErr}`)));
  });
  http = summary.http;
  port = Number(new URL(http).port);
  console.info(
    `[readme] ${BLOCKS.length} sh/ts blocks; skipped:\n${BLOCKS.filter((b) => b.skip !== undefined)
      .map((b) => `  README.md:${b.line} (${b.lang}): ${b.skip}`)
      .join("\n")}`,
  );
}, 60_000);

afterAll(async () => {
  if (gateway !== undefined && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once("exit", resolve));
    gateway.kill("SIGTERM");
    await exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("README.md", () => {
  it("has shell and TypeScript blocks to run, and every skip has a reason", () => {
    expect(BLOCKS.filter((b) => b.lang === "sh" && b.skip === undefined).length).toBeGreaterThanOrEqual(5);
    expect(BLOCKS.filter((b) => b.lang === "ts" && b.skip === undefined).length).toBeGreaterThanOrEqual(2);
    for (const b of BLOCKS) if (b.skip !== undefined) expect(b.skip.length, `README.md:${b.line}`).toBeGreaterThan(5);
  });

  it("the marker reader: a marker before a block skips it; a stray or malformed marker is an error", () => {
    const md = "<!-- readme-test: skip (needs docker) -->\n```sh\ndocker compose up\n```\n\n```ts\nconst x = 1;\n```\n";
    expect(readmeBlocks(md)).toEqual([
      { line: 2, lang: "sh", code: "docker compose up", skip: "needs docker" },
      { line: 6, lang: "ts", code: "const x = 1;" },
    ]);
    expect(() => readmeBlocks("<!-- readme-test: skip (x y z) -->\nsome text\n```sh\nls\n```\n")).toThrow(/right before a block/);
    expect(() => readmeBlocks("<!-- readme-test: skip -->\n```sh\nls\n```\n")).toThrow(/malformed marker/);
    // Prose that quotes the marker is not one.
    expect(readmeBlocks("A block carries a `<!-- readme-test: skip (REASON) -->` line.\n```sh\nls\n```\n")).toEqual([{ line: 2, lang: "sh", code: "ls" }]);
  });

  it("every TypeScript block type-checks against the package's exports (NodeNext, strict)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "readme-tsconfig.json"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 60_000);

  for (const b of BLOCKS) {
    const name = `${b.lang} block at README.md:${b.line}`;
    if (b.skip !== undefined) {
      it.skip(`${name} — skipped: ${b.skip}`, () => {});
      continue;
    }
    it(name, () => {
      let r;
      if (b.lang === "sh") {
        const script = `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${onOurPort(b.code)}\n`;
        r = spawnSync("bash", ["-c", script], { cwd: dir, env: blockEnv(), encoding: "utf8", timeout: 45_000 });
      } else if (fileOf(b).endsWith(".test.ts")) {
        writeFileSync(join(dir, fileOf(b)), onOurPort(b.code));
        r = spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", dir, "--config", "readme-vitest.config.mjs", fileOf(b)], { cwd: dir, env: blockEnv(), encoding: "utf8", timeout: 45_000 });
      } else {
        const js = ts.transpileModule(onOurPort(b.code), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
        const file = join(dir, `readme-block-${b.line}.mjs`);
        writeFileSync(file, js);
        r = spawnSync(process.execPath, [file], { cwd: dir, env: blockEnv(), encoding: "utf8", timeout: 30_000 });
      }
      if (r.status !== 0) throw new Error(failure(b, r));
    }, 60_000);
  }

  it("after the last block the gateway is usable: healthy, the clock at real time and running, the dev projects in their modes", async () => {
    expect((await fetch(`${http}/healthz`)).status).toBe(200);
    const clock = (await (await fetch(`${http}/admin/clock`)).json()) as { now: number; frozen: boolean };
    expect(clock.frozen).toBe(false);
    expect(Math.abs(clock.now - Date.now() / 1000)).toBeLessThan(5);
    for (const p of DEV_PROJECTS) {
      const view = (await (await fetch(`${http}/admin/projects/${p.appId}`)).json()) as { mode: string; shadow: unknown };
      expect(view, p.appId).toMatchObject({ mode: p.mode, shadow: null });
    }
  });
});
