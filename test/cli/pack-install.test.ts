/**
 * Another project installs this package from a packed tarball, as README's "Use it from another
 * project" says (issue 14, item 3): `npm pack` ships `dist/`, `bin/` and the console's static files
 * (package.json `files`) and nothing else of the tree; `npm install <tarball>` into a new project
 * works offline; from that project, node imports `rtm-auth-gateway/client`, `rtm-auth-gateway/token`
 * and `rtm-auth-gateway/client/testing` (a gateway embedded, a login through the installed SDK),
 * TypeScript resolves their types, and `npx rtm-auth` runs the installed command (`token build`,
 * and `serve`, whose console files are found inside the package).
 *
 * Offline: the new project gets a package-lock.json holding the tarball and, for every runtime
 * dependency, the entry of this repository's package-lock.json (same version, URL and integrity).
 * npm then needs no registry metadata, and finds each tarball in its cache, which `npm ci` filled.
 * Only when an entry is missing from the cache (ENOTCACHED: a cache cleared since `npm ci`) does the
 * install go to the registry (`--prefer-offline`), as CI can (.ci/run has network for npm).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
let dir: string;
let project: string;
let tarball: string;
let packed: string[];

/** The environment of a nested npm: ours without npm's own npm_* variables (a run under `npm test` sets the project root there). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith("npm_")) env[k] = v;
  return env;
}

function run(cmd: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, env: npmEnv() });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}${r.error ? ` (${r.error.message})` : ""}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/client/index.js"))) ok(run("npm", ["run", "build"], ROOT, 180_000), "npm run build");
  dir = mkdtempSync(join(tmpdir(), "rtm-auth-pack-"));
  // --ignore-scripts: dist/ is built already (npm test builds before the suite); `prepare` would build again.
  const pack = JSON.parse(ok(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT), "npm pack")) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, pack[0]!.filename);
  packed = pack[0]!.files.map((f) => f.path);

  // The consuming project, with a lockfile that pins the tarball and this repository's runtime dependencies.
  project = join(dir, "consumer");
  ok(run("mkdir", ["-p", project], dir), "mkdir");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", version: "1.0.0", dependencies: { "rtm-auth-gateway": spec } },
    "node_modules/rtm-auth-gateway": {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith("node_modules/") && entry.dev !== true && entry.devOptional !== true) packages[path] = entry;
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module", dependencies: { "rtm-auth-gateway": spec } }, null, 2));
  writeFileSync(join(project, "package-lock.json"), JSON.stringify({ name: "consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));

  const offline = run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project, 120_000);
  if (offline.status !== 0 && /ENOTCACHED/.test(offline.stderr)) {
    console.warn("[pack-install] a dependency is not in the npm cache; installing with --prefer-offline (network)");
    ok(run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], project, 180_000), "npm install --prefer-offline");
  } else ok(offline, "npm install --offline");
}, 300_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it("npm pack ships dist/ (JavaScript and types), bin/, the console's static files, README and package.json; no sources, tests, benchmarks or build info", () => {
  for (const f of ["package.json", "README.md", "bin/rtm-auth.js", "dist/client/index.js", "dist/client/index.d.ts", "dist/core/token/index.js", "dist/core/token/index.d.ts", "dist/client/testing.js", "dist/gateway/cli/main.js"]) {
    expect(packed).toContain(f);
  }
  const exports = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> }).exports;
  for (const target of Object.values(exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)))) {
    expect(packed, `an "exports" target is not packed`).toContain(target.replace(/^\.\//, ""));
  }
  if (existsSync(join(ROOT, "gateway/console/static/app.js"))) expect(packed).toContain("gateway/console/static/app.js");
  const stray = packed.filter((f) => !/^(package\.json|README\.md|bin\/|dist\/|gateway\/console\/static\/)/.test(f) || /^dist\/bench\//.test(f) || f.endsWith(".tsbuildinfo") || (f.endsWith(".ts") && !f.endsWith(".d.ts")));
  expect(stray).toEqual([]);
});

it("node imports rtm-auth-gateway/client and rtm-auth-gateway/token from the installed package, and logs in to a gateway embedded through rtm-auth-gateway/client/testing", () => {
  writeFileSync(
    join(project, "use.mjs"),
    `import { createRtmClient } from "rtm-auth-gateway/client";
import { buildRtmToken, parseToken, tokenIdentity, verifyToken } from "rtm-auth-gateway/token";
import { startGateway } from "rtm-auth-gateway/client/testing";
import { fileURLToPath } from "node:url";

const appId = "0123456789abcdef0123456789abcdef";
const certificate = "fedcba9876543210fedcba9876543210";
const gw = await startGateway({ projects: [{ appId, mode: "token", primary: certificate }] });
try {
  const token = buildRtmToken({ version: "007", appId, certificate, uid: "alice", expireSeconds: 600, issueTs: Math.floor(Date.now() / 1000), salt: 1 });
  const client = createRtmClient({ url: gw.url, appId, profile: "rtm2" });
  const result = await client.login({ uid: "alice", token });
  await client.logout();
  await client.close();
  console.log(JSON.stringify({
    from: fileURLToPath(import.meta.resolve("rtm-auth-gateway/client")),
    credential: result.credential,
    identity: tokenIdentity(parseToken(token).token).length,
    verify: typeof verifyToken,
  }));
} finally {
  await gw.close();
}
`,
  );
  const out = ok(run(process.execPath, ["use.mjs"], project), "node use.mjs");
  const seen = JSON.parse(out.trim().split("\n").pop()!) as { from: string; credential: string; identity: number; verify: string };
  expect(seen).toEqual({ from: join(project, "node_modules/rtm-auth-gateway/dist/client/index.js"), credential: "token", identity: 32, verify: "function" });
}, 60_000);

it("TypeScript (NodeNext) resolves the types of rtm-auth-gateway/client and rtm-auth-gateway/token", () => {
  writeFileSync(
    join(project, "use.ts"),
    `import { createRtmClient, type RtmClient } from "rtm-auth-gateway/client";
import { buildRtmToken } from "rtm-auth-gateway/token";
const client: RtmClient = createRtmClient({ url: "ws://127.0.0.1:8080/rtm", appId: "f3000000000000000000000000000003", profile: "rtm1" });
const token: string = buildRtmToken({ version: "007", appId: "f3000000000000000000000000000003", certificate: "f3c0ffee00000000000000000000c0de", uid: "alice", expireSeconds: 3600, issueTs: 1_700_000_000, salt: 1 });
// @ts-expect-error profile is "rtm1" | "rtm2"
createRtmClient({ url: "ws://x", appId: "x", profile: "rtm3" });
export { client, token };
`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["use.ts"] }),
  );
  ok(run(process.execPath, [TSC, "-p", "tsconfig.json"], project), "tsc");
}, 60_000);

it("npx rtm-auth runs the installed command: token build, and serve (its console's files are inside the package)", async () => {
  const built = ok(
    run("npx", ["--no-install", "rtm-auth", "token", "build", "--version", "007", "--app-id", "f3000000000000000000000000000003", "--certificate", "f3c0ffee00000000000000000000c0de", "--uid", "alice", "--expire", "3600"], project),
    "npx rtm-auth token build",
  );
  expect(built.trim()).toMatch(/^007[A-Za-z0-9+/=]+$/);

  // Its own process group: npx does not pass SIGTERM on to the gateway, so the group gets it.
  const server = spawn("npx", ["--no-install", "rtm-auth", "serve", "--port", "0", "--json", "--no-dev-seed"], {
    cwd: project,
    env: { ...npmEnv(), LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  try {
    const summary = await new Promise<{ http: string }>((resolve, reject) => {
      let out = "";
      let err = "";
      server.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      server.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!));
      });
      server.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    });
    expect((await fetch(`${summary.http}/healthz`)).status).toBe(200);
    const app = await fetch(`${summary.http}/console/app/app.js`);
    expect(app.status).toBe(200);
  } finally {
    process.kill(-server.pid!, "SIGTERM");
    await exited;
  }
}, 60_000);

it("the compat modules (docs/compat.md) from the installed package: both log in to an embedded gateway, the node hook redirects agora-rtm-sdk to them, and TypeScript resolves their types", () => {
  writeFileSync(
    join(project, "compat.mjs"),
    `import AgoraRTM, { connectRtmEmulator } from "rtm-auth-gateway/compat/agora-rtm-sdk";
import AgoraRTM2 from "rtm-auth-gateway/compat/agora-rtm";
import { startGateway } from "rtm-auth-gateway/client/testing";
import { fileURLToPath } from "node:url";

const appId = "0123456789abcdef0123456789abc0de";
const gw = await startGateway({ projects: [{ appId, mode: "appid" }] });
try {
  connectRtmEmulator(gw.url);
  const one = AgoraRTM.createInstance(appId);
  await one.login({ uid: "alice" });
  await one.logout();
  const two = new AgoraRTM2.RTM(appId, "bob");
  const response = await two.login();
  await two.logout();
  console.log(JSON.stringify({ from: fileURLToPath(import.meta.resolve("rtm-auth-gateway/compat/agora-rtm")), timestamp: typeof response.timestamp }));
} finally {
  await gw.close();
}
`,
  );
  const out = ok(run(process.execPath, ["compat.mjs"], project), "node compat.mjs");
  expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ from: join(project, "node_modules/rtm-auth-gateway/dist/compat/agora-rtm.js"), timestamp: "number" });

  // The consumer has no agora-rtm-sdk installed: the hook alone resolves the name.
  writeFileSync(join(project, "hooked.mjs"), `import AgoraRTM from "agora-rtm-sdk";\nconsole.log(AgoraRTM.BUILD, typeof AgoraRTM.createInstance);\n`);
  expect(ok(run(process.execPath, ["--import", "rtm-auth-gateway/compat/register", "hooked.mjs"], project), "node --import …/compat/register").trim()).toBe("rtm-auth-gateway-compat function");

  writeFileSync(
    join(project, "compat-use.ts"),
    `import AgoraRTM, { connectRtmEmulator, type RtmClient } from "rtm-auth-gateway/compat/agora-rtm-sdk";
import AgoraRTM2, { RTMBaseError, type LoginResponse } from "rtm-auth-gateway/compat/agora-rtm";
connectRtmEmulator("ws://127.0.0.1:8080/rtm");
const client: RtmClient = AgoraRTM.createInstance("0123456789abcdef0123456789abc0de");
const login: Promise<LoginResponse> = new AgoraRTM2.RTM("0123456789abcdef0123456789abc0de", "bob").login({ token: "007…" });
const state: "CONNECTED" = AgoraRTM.ConnectionState.CONNECTED;
// @ts-expect-error login takes { uid, token? }
void client.login("alice");
export { login, state, RTMBaseError };
`,
  );
  writeFileSync(
    join(project, "compat-tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["compat-use.ts"] }),
  );
  ok(run(process.execPath, [TSC, "-p", "compat-tsconfig.json"], project), "tsc (compat)");
}, 60_000);
