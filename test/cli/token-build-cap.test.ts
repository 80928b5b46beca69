/**
 * `rtm-auth token build --json` reports the expiry a gateway with the default
 * MAX_TOKEN_LIFETIME_SECONDS (86400) accepts, and warns when the stated lifetime is over it,
 * naming the "Unix time as --expire" mistake (docs/token-lifetime.md).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/rtm-auth.js", import.meta.url));
const APP = "f3000000000000000000000000000003";
const CERT = "f3c0ffee00000000000000000000c0de";
const ISSUE = 1_800_000_000;

function build(expire: number): { status: number | null; json: { expiresAt: number }; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "token", "build", "--version", "007", "--app-id", APP, "--certificate", CERT, "--uid", "alice", "--expire", String(expire), "--issue-ts", String(ISSUE), "--json"], { encoding: "utf8" });
  return { status: r.status, json: JSON.parse(r.stdout) as { expiresAt: number }, stderr: r.stderr };
}

it("a lifetime within 24 h is reported as is, without a warning", () => {
  const r = build(3600);
  expect(r.status).toBe(0);
  expect(r.json.expiresAt).toBe(ISSUE + 3600);
  expect(r.stderr).toBe("");
});

it("now + 3600 given as --expire: capped at issue + 86400, with a warning naming the mistake", () => {
  const r = build(ISSUE + 3600);
  expect(r.status).toBe(0);
  expect(r.json.expiresAt).toBe(ISSUE + 86_400);
  expect(r.stderr).toContain(`a lifetime of ${ISSUE + 3600} s is over 86400 s`);
  expect(r.stderr).toContain("--expire is a duration in seconds, not a Unix time");
});

it("a 7-day token: capped, warned, without the timestamp remark", () => {
  const r = build(7 * 86_400);
  expect(r.json.expiresAt).toBe(ISSUE + 86_400);
  expect(r.stderr).toContain("a lifetime of 604800 s is over 86400 s");
  expect(r.stderr).not.toContain("Unix time");
});

it("two RTM services for different users: built, with a warning that only the first counts", () => {
  const r = spawnSync(
    process.execPath,
    [BIN, "token", "build", "--version", "007", "--app-id", APP, "--certificate", CERT, "--uid", "alice", "--expire", "3600", "--issue-ts", String(ISSUE), "--service", '{"type":2,"privileges":{"1":3600},"userId":"bob"}', "--json"],
    { encoding: "utf8" },
  );
  expect(r.status).toBe(0);
  expect((JSON.parse(r.stdout) as { uid: string }).uid).toBe("alice");
  expect(r.stderr).toContain('it has 2 type-2 services for different users: only the first ("alice") counts for a login');
});
