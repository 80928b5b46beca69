/**
 * `rtm-auth migrate status|plan|advance|rollback|…` against a running gateway (in this process,
 * frozen clock), run in-process through the code `bin/rtm-auth.js` runs (test/support/cli-in-process.ts;
 * one case spawns the real command, dist/ built when missing): the summary and `--json`,
 * a plan file validated locally (exit 2 naming the file and the JSON path) then put, the actions,
 * the gateway's refusals (exit 1 with the code), usage errors (exit 2).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import type { RolloutView } from "../../core/protocol/admin.js";
import { cliInProcess } from "../support/cli-in-process.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const T0 = 1_718_000_000;
const APP = "c1100000000000000000000000000001";
const dir = mkdtempSync(join(tmpdir(), "rtm-auth-migrate-"));
let gw: TestGateway;
/** The admin token a user's environment may hold: out of the way while the commands run here. */
const savedAdminToken = process.env.RTM_AUTH_ADMIN_TOKEN;

beforeAll(async () => {
  delete process.env.RTM_AUTH_ADMIN_TOKEN;
  if (!existsSync(new URL("../../dist/gateway/cli/migrate-command.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
  gw = await startGateway({ clock: "manual", now: T0, config: { rolloutTickMs: 0 }, projects: [{ appId: APP, mode: "either" }] });
}, 120_000);
afterAll(async () => {
  if (savedAdminToken !== undefined) process.env.RTM_AUTH_ADMIN_TOKEN = savedAdminToken;
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

/** Runs `rtm-auth ARGS` in-process. */
async function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await cliInProcess(args);
  return { status: code, stdout, stderr };
}

/** Spawns the real command, without blocking this process's event loop (the gateway answers it from here). */
function cliSpawned(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, RTM_AUTH_ADMIN_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const target = (): string[] => ["--admin-url", gw.httpUrl, "--app-id", APP];

const PLAN = {
  target: { target: "token_only" },
  advance: "manual",
  stages: [
    { name: "ten", cohort: { percent: 10 }, minSeconds: 86_400, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 200 }] },
    { name: "half", cohort: { percent: 50 }, minSeconds: 86_400 },
    { name: "all", cohort: { percent: 100 }, minSeconds: 86_400 },
  ],
};

describe("rtm-auth migrate", () => {
  it("a plan file that does not validate: exit 2, naming the file and the JSON path; nothing is put", async () => {
    const bad = file("bad-plan.json", { ...PLAN, stages: [{ ...PLAN.stages[0], cohort: { percent: 0 } }, { name: "x", cohort: { uidPattern: "a" }, minSeconds: -1 }] });
    const r = await cli("migrate", "plan", "--plan", bad, ...target());
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}: stages[0].cohort.percent: must be above 0`);
    expect(r.stderr).toContain(`${bad}: stages[1].minSeconds:`);
    const only = await cli("migrate", "plan", "--plan", bad, "--validate-only");
    expect([only.status, only.stderr.includes("stages[0].cohort.percent")]).toEqual([2, true]);
    const notJson = await cli("migrate", "plan", "--plan", file("broken.json", "{"), "--dry-check");
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/broken\.json: not JSON/);
    await expect(gw.admin.migration.rollout.get(APP)).rejects.toMatchObject({ status: 404, code: "rollout_not_found" });
    // The gateway's refusal is exit 1, with its code.
    const none = await cli("migrate", "status", ...target());
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("rollout_not_found");
  });

  it("plan --validate-only checks the file alone; plan puts it; status shows stage, cohort, time left, guards and transitions", async () => {
    const good = file("plan.json", PLAN);
    const checked = await cli("migrate", "plan", "--plan", good, "--validate-only");
    expect(checked.status).toBe(0);
    expect(checked.stdout).toContain("a valid plan: 3 stages (ten, half, all), final step delete_no_certificate");

    const put = await cliSpawned("migrate", "plan", "--plan", good, ...target());
    expect([put.status, put.stderr]).toEqual([0, ""]);
    expect(put.stdout).toContain(`rollout of ${APP}: running, stage 1/3 "ten" (10 % of uids by stable hash)`);
    expect((await gw.admin.migration.rollout.get(APP)).stageName).toBe("ten");

    await gw.clock.advance(3600);
    const status = await cli("migrate", "status", ...target());
    expect(status.status).toBe(0);
    expect(status.stdout).toContain("stage time: 23h 0m left");
    expect(status.stdout).toContain("token_required <= 1 % of login over >= 200: 0 of 0 refused (0 %), waiting for 200 decisions");
    expect(status.stdout).toMatch(/2024-06-10T06:13:20Z {2}start +- -> 1 +running +by operator/);
    expect(status.stdout).toContain("cohort this stage: 0 logins, 0 renewals");
    expect(status.stdout).toContain("  transitions:");

    const json = await cli("migrate", "status", "--json", ...target());
    const view = JSON.parse(json.stdout) as RolloutView;
    expect(view).toMatchObject({ appId: APP, status: "running", stage: 0, stageMinUntil: T0 + 86_400, now: T0 + 3600 });

    const again = await cli("migrate", "plan", "--plan", good, ...target());
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("rollout_in_progress (HTTP 409)");
  });

  it("advance, rollback, pause, resume; the last stage needs --confirm, then performs the real step", async () => {
    const adv = await cli("migrate", "advance", ...target());
    expect(adv.status).toBe(0);
    expect(adv.stdout).toContain('running, stage 2/3 "half"');
    const back = await cli("migrate", "rollback", ...target());
    expect(back.stdout).toContain('rolled_back, stage 1/3 "ten"');
    expect(back.stdout).toMatch(/rollback +2 -> 1 +rolled_back +by operator/);
    expect((await cli("migrate", "resume", ...target())).stdout).toContain("running, stage 1/3");
    expect((await cli("migrate", "pause", ...target())).stdout).toContain("paused, stage 1/3");
    expect((await cli("migrate", "pause", ...target())).stderr).toContain("rollout_not_running");
    for (const stage of ["2/3", "3/3"]) expect((await cli("migrate", "advance", ...target())).stdout).toContain(`running, stage ${stage}`);

    const unconfirmed = await cli("migrate", "advance", ...target());
    expect(unconfirmed.status).toBe(1);
    expect(unconfirmed.stderr).toContain("confirmation_required");
    expect((await gw.admin.projects.get(APP)).mode).toBe("either");
    const done = await cli("migrate", "advance", "--confirm", "delete_no_certificate", "--json", ...target());
    expect(done.status).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: "completed", stage: -1 });
    expect((await gw.admin.projects.get(APP)).mode).toBe("token");
    const finished = await cli("migrate", "abort", "--json", ...target());
    expect(finished.status).toBe(1);
    expect(JSON.parse(finished.stdout)).toMatchObject({ error: { status: 409, code: "rollout_finished" } });
  });

  it.each([
    [["migrate"], /missing subcommand/],
    [["migrate", "launch"], /unknown subcommand 'launch'/],
    [["migrate", "status", "--app-id", APP], /missing --admin-url/],
    [["migrate", "advance", "--admin-url", "http://127.0.0.1:1", "--app-id", APP, "--confirm", "delete_everything"], /--confirm must be delete_no_certificate or delete_secondary/],
    [["migrate", "pause", "--admin-url", "http://127.0.0.1:1", "--app-id", APP, "--confirm", "delete_secondary"], /--confirm belongs to 'advance'/],
    [["migrate", "plan", "--admin-url", "http://127.0.0.1:1", "--app-id", APP], /plan needs --plan FILE/],
    [["migrate", "status", "--admin-url", "ftp://x", "--app-id", APP], /--admin-url must be http/],
    [["migrate", "status", "--admin-url", "http://127.0.0.1:1", "--app-id", APP, "--frobnicate"], /Unknown option '--frobnicate'/],
  ])("usage error %j: exit 2", async (args, message) => {
    const r = await cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a gateway that wants an admin JWT: exit 1, and the message names --admin-token", async () => {
    const secured = await startGateway({ config: { adminJwtSecret: "s".repeat(40) } });
    try {
      const r = await cli("migrate", "status", "--admin-url", secured.httpUrl, "--app-id", APP);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("(HTTP 401)");
      expect(r.stderr).toContain('pass an admin JWT: --admin-token "$(npx rtm-auth admin-token)"');
    } finally {
      await secured.close();
    }
  });

  it("a gateway that cannot be reached is exit 1; --help lists the subcommands; rtm-auth --help lists migrate", async () => {
    const badApp = await cli("migrate", "status", "--admin-url", gw.httpUrl, "--app-id", "123");
    expect([badApp.status, badApp.stderr]).toEqual([2, expect.stringContaining('--app-id must be an App ID, 32 hexadecimal characters (as the project was created), got "123"')]);
    const r = await cli("migrate", "status", "--admin-url", "http://127.0.0.1:1", "--app-id", APP);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/could not be reached/);
    const help = await cli("migrate", "--help");
    expect(help.status).toBe(0);
    for (const sub of ["status", "plan", "advance", "pause", "resume", "rollback", "abort", "rehearse"]) expect(help.stdout).toContain(`  ${sub}`);
    expect((await cli("--help")).stdout).toContain("migrate status|plan|advance|pause|resume|rollback|abort|rehearse");
  });
});
