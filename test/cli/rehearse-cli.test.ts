/**
 * `rtm-auth migrate rehearse` as a user runs it (dist/, built when missing): `--json` prints one
 * object with outcome, rollbacks and timeline and exits 0 whatever the outcome; `--html` writes a
 * report that loads in headless Chromium with its two charts, no error and no request; a bad plan
 * or population is exit 2 naming the file and the JSON path; a gateway that cannot be reached is
 * exit 1.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CHROMIUM, CI, HAVE_CHROMIUM, newBrowserContext } from "../console/browser.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const example = (name: string): string => new URL(`../../docs/examples/${name}`, import.meta.url).pathname;
if (!HAVE_CHROMIUM && !CI) console.warn(`rehearse-cli.test.ts: the HTML check is skipped: ${CHROMIUM} is not installed (CI installs it)`);
const dir = mkdtempSync(join(tmpdir(), "rtm-auth-rehearse-"));

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/cli/rehearse-command.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "migrate", "rehearse", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

it("--json: one object with outcome, rollbacks and timeline; exit 0 for a rolled-back plan too", async () => {
  const r = await cli("--plan", example("rollout-token-only.json"), "--population", example("population-migration.json"), "--json", "--seed", "1");
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { outcome: string; rollbacks: number; timeline: Array<{ cause: string; fromStageName: string | null }>; verdict: string; project: { noCertificate: boolean } };
  expect(out.outcome).toBe("rolled_back");
  expect(out.rollbacks).toBe(1);
  expect(out.timeline.map((t) => t.cause)).toEqual(["start", "guard"]);
  expect(out.timeline[1]?.fromStageName).toBe("10%");
  expect(out.project.noCertificate).toBe(true);
  expect(out.verdict).toMatch(/^rolled back at stage "10%"/);
  expect(r.stdout.endsWith("}\n")).toBe(true);
}, 60_000);

it("the text report and --html: a completed run; the page loads in Chromium with both charts", async () => {
  const plan = file("short.json", { target: { target: "token_only" }, stages: [{ name: "all", cohort: { percent: 100 }, minSeconds: 7200, guards: [{ reason: "any", maxPercent: 0, minLogins: 10 }] }] });
  const html = join(dir, "report.html");
  const r = await cli("--plan", plan, "--population", example("population-ready.json"), "--html", html, "--step", "30m", "--logins-per-step", "10");
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain("outcome: completed, rollbacks: 0");
  expect(r.stdout).toMatch(/complete\s+1\/1 "all" -> \(none\)\s+\[completed\]/);
  expect(r.stdout).toContain(`report: ${html}`);
  const page = readFileSync(html, "utf8");
  expect(page).toContain("Migration rehearsal:");
  if (!HAVE_CHROMIUM && !CI) return;
  expect(HAVE_CHROMIUM, `${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run)`).toBe(true);
  const context = await newBrowserContext();
  try {
    const p = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    p.on("console", (m) => (m.type() === "error" || m.type() === "warning" ? problems.push(m.text()) : undefined));
    p.on("pageerror", (e) => problems.push(e.message));
    p.on("request", (q) => requests.push(q.url()));
    const url = pathToFileURL(html).href;
    await p.goto(url, { waitUntil: "load" });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => u !== url)).toEqual([]);
    expect(await p.locator("svg").count()).toBeGreaterThanOrEqual(2);
    expect(await p.locator("h1").innerText()).toBe("Migration rehearsal: completed");
  } finally {
    await context.close();
  }
}, 60_000);

it("a bad plan or population is exit 2 naming the file and the JSON path; an unreachable gateway is exit 1", async () => {
  const bad = file("bad.json", { target: { target: "token_only" }, stages: [{ name: "x", cohort: { percent: 120 }, minSeconds: 0 }] });
  const r1 = await cli("--plan", bad, "--population", example("population-ready.json"));
  expect(r1.status).toBe(2);
  expect(r1.stderr).toContain(`${bad}: stages[0].cohort.percent`);
  const pop = file("pop.json", { cohorts: [{ name: "a", share: 0.5, credential: "token" }] });
  const r2 = await cli("--plan", example("rollout-token-only.json"), "--population", pop);
  expect(r2.status).toBe(2);
  expect(r2.stderr).toContain("pop.json");
  expect(r2.stderr).toMatch(/share/);
  const noApp = await cli("--plan", example("rollout-token-only.json"), "--population", example("population-ready.json"), "--gateway", "http://127.0.0.1:9");
  expect([noApp.status, noApp.stderr]).toEqual([2, expect.stringContaining("--gateway needs --app-id")]);
  const r3 = await cli("--plan", example("rollout-token-only.json"), "--population", example("population-ready.json"), "--gateway", "http://127.0.0.1:45999", "--app-id", "7e4ea25a1000000000000000000000ff");
  expect(r3.status).toBe(1);
  expect(r3.stderr).toContain("http://127.0.0.1:45999: cannot reach the gateway's admin API");
  expect(r3.stderr.endsWith("\n")).toBe(true);
  const html = await cli("--plan", example("rollout-token-only.json"), "--population", example("population-ready.json"), "--html", "/nonexistent-dir/r.html");
  expect([html.status, html.stderr]).toEqual([2, expect.stringContaining("--html /nonexistent-dir/r.html: its folder does not exist")]);
  const r4 = await cli("--plan", example("rollout-token-only.json"));
  expect([r4.status, r4.stderr]).toEqual([2, expect.stringContaining("--plan and --population are required")]);
}, 60_000);
