/**
 * Errors that say what to do (issue 14, item 4), from the command line as a user meets them:
 *
 * - every usage error of every command ends with the pointer to that command's `--help`, exit 2,
 *   nothing on stdout;
 * - a bad setting stops `rtm-auth serve` naming what the user set: the environment variable, or
 *   the flag when a flag set it; a secret is never echoed;
 * - `rtm-auth serve --help` lists every setting with its default (generated from the schema).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { configReference } from "../../gateway/config-reference.js";
import { ENV_NAMES } from "../../gateway/config.js";
import { cliInProcess } from "../support/cli-in-process.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const example = (name: string): string => new URL(`../../docs/examples/${name}`, import.meta.url).pathname;

/** The environment without any gateway setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const names = new Set(Object.values(ENV_NAMES));
  for (const [k, v] of Object.entries(process.env)) if (!names.has(k) && !k.toLowerCase().startsWith("npm_")) env[k] = v;
  return { ...env, ...extra };
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/config-reference.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
});

describe("every usage error ends with its command's --help pointer (exit 2, stdout empty)", () => {
  // [command as typed after rtm-auth, the arguments after it, a part of the message]
  const CASES: ReadonlyArray<readonly [string, readonly string[], string]> = [
    ["serve", ["--bogus"], "Unknown option '--bogus'"],
    ["serve", ["--populate", "/nonexistent/world.json"], "--populate /nonexistent/world.json: ENOENT"],
    ["login", ["--url", "ws://127.0.0.1:1/rtm"], "missing --app-id, --uid"],
    ["load", ["--url", "ws://127.0.0.1:1/rtm", "--app-id", "x"], "give exactly one of --certificate and --admin-url"],
    ["load", ["--bogus"], "Unknown option '--bogus'"],
    ["token", [], "missing subcommand (build, inspect or verify)"],
    ["token build", ["--version", "008"], "--version must be 006 or 007"],
    ["token inspect", [], "missing TOKEN"],
    ["token verify", ["--app-id", "x"], "--app-id must be 32 hexadecimal characters"],
    ["migrate", [], "missing subcommand"],
    ["migrate status", [], "missing --admin-url, --app-id"],
    ["migrate plan", ["--bogus"], "Unknown option '--bogus'"],
    ["migrate rehearse", [], "--plan and --population are required"],
    ["migrate rehearse", ["--bogus"], "Unknown option '--bogus'"],
    // A negative value spaced from its flag reaches the flag's own check (not parseArgs' "ambiguous").
    ["migrate rehearse", ["--plan", example("rollout-token-only.json"), "--population", example("population-ready.json"), "--step", "-5m"], '--step: "-5m" must be at least 1 s'],
    // A missing file is named by its option.
    ["migrate rehearse", ["--plan", "/nonexistent/plan.json", "--population", example("population-ready.json")], "--plan /nonexistent/plan.json: no such file"],
    ["migrate rehearse", ["--plan", example("rollout-token-only.json"), "--population", "/nonexistent/pop.json"], "--population /nonexistent/pop.json: no such file"],
    ["admin-token", [], "ADMIN_JWT_SECRET is not set"],
    ["admin-token", ["--secret", "x"], "Unknown option '--secret'"],
  ];
  // serve and admin-token read the environment, so they run as their own process, with the
  // machine's gateway settings taken out; the others run in-process (test/support/cli-in-process.ts).
  const runIt = (argv: string[]) => (argv[0] === "serve" || argv[0] === "admin-token" ? cli(argv) : cliInProcess(argv));
  it.each(CASES)("rtm-auth %s %j", async (command, args, part) => {
    const run = await runIt([...command.split(" "), ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.startsWith(`rtm-auth ${command}: `)).toBe(true);
    expect(run.stderr).toContain(part);
    expect(run.stderr.endsWith(`; see 'rtm-auth ${command} --help'\n`)).toBe(true);
    // The pointer leads to a help that exists.
    const help = await runIt([...command.split(" "), "--help"]);
    expect([help.code, help.stdout.startsWith("Usage: rtm-auth ")]).toEqual([0, true]);
  });
});

it("an unknown command: exit 2, the list of commands, ending with how to get a command's help", async () => {
  const run = await cli(["serv"]);
  expect([run.code, run.stdout]).toEqual([2, ""]);
  expect(run.stderr.startsWith("rtm-auth: unknown command 'serv'\n")).toBe(true);
  expect(run.stderr).toContain("  admin-token ");
  expect(run.stderr.endsWith("Run `rtm-auth <command> --help` for a command's options.\n")).toBe(true);
});

describe("a bad setting stops serve, named as the user set it (exit 2, at once)", () => {
  it("a short ADMIN_JWT_SECRET: the variable, not the schema field; the value not echoed", async () => {
    const run = await cli(["serve", "--port", "0"], { ADMIN_JWT_SECRET: "short-admin-secret" });
    expect([run.code, run.stdout]).toEqual([2, ""]);
    expect(run.stderr).toBe("rtm-auth serve: invalid gateway configuration: ADMIN_JWT_SECRET: must be at least 32 characters; see 'rtm-auth serve --help'\n");
  });

  it("--port wins over PORT, and is the one named", async () => {
    const run = await cli(["serve", "--port", "http"], { PORT: "8080" });
    expect(run.stderr).toBe("rtm-auth serve: invalid gateway configuration: --port: must be a whole number from 0 to 65535; see 'rtm-auth serve --help'\n");
  });

  it("a negative number after a flag, spaced as a user types it, is that flag's value and meets its range check (every command parses alike)", async () => {
    const run = await cli(["serve", "--port", "-1"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("rtm-auth serve: invalid gateway configuration: --port: must be a whole number from 0 to 65535; see 'rtm-auth serve --help'\n");
  });

  it("every bad variable at once, each by its name", async () => {
    const run = await cli(["serve"], { PORT: "-1", LOG_LEVEL: "loud", ADMIN_JWKS_URL: "file:///etc/passwd" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^rtm-auth serve: invalid gateway configuration: PORT: must be a whole number from 0 to 65535; LOG_LEVEL: Invalid option: .*; ADMIN_JWKS_URL: .*; see 'rtm-auth serve --help'\n$/);
  });

  it("contradictory variables", async () => {
    const run = await cli(["serve"], { ADMIN_JWT_SECRET: "s".repeat(40), ADMIN_JWKS_URL: "https://idp.example/jwks.json" });
    expect(run.stderr).toBe("rtm-auth serve: invalid gateway configuration: ADMIN_JWKS_URL: set either ADMIN_JWT_SECRET or ADMIN_JWKS_URL, not both; see 'rtm-auth serve --help'\n");
    expect(run.stderr).not.toContain("s".repeat(40));
  });
});

it("serve --help lists every setting with the schema's default, one row each", async () => {
  const run = await cli(["serve", "--help"]);
  expect(run.code).toBe(0);
  const rows = configReference();
  expect(rows.map((r) => r.env).sort()).toEqual(Object.values(ENV_NAMES).sort());
  for (const r of rows) {
    const line = run.stdout.split("\n").find((l) => l.startsWith(`  ${r.env} `));
    expect(line, r.env).toBeDefined();
    expect(line?.slice(2 + r.env.length).trimStart().startsWith(`${r.defaultText}  `), `${r.env} default ${r.defaultText}`).toBe(true);
    expect(r.summary, `${r.env} has a description`).not.toBe("");
  }
  expect(run.stdout).toMatch(/^ {2}PORT +8080 +TCP port of the gateway/m);
  expect(run.stdout).toMatch(/^ {2}LOG_LEVEL +info +pino log level\.$/m);
  expect(run.stdout).toMatch(/^ {2}ADMIN_JWT_SECRET +unset +HS256 secret \(at least 32 characters\)/m);
  expect(run.stdout).toMatch(/^ {2}CHECK_ORDER +FIDELITY \(spec\) +Order of the token checks\.$/m);
});
