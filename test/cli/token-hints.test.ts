/**
 * `rtm-auth token verify --max-lifetime` and the diagnostic hints of `token verify` and
 * `token inspect` (issue 10, Build items 2 and 4; docs/hints.md, docs/token-lifetime.md), run
 * in-process through the code `bin/rtm-auth.js` runs (test/support/cli-in-process.ts; the real
 * command's exit codes, stdin and output streams are tested in token-cli.test.ts). Every hint code
 * is asserted; no run may print a certificate.
 */
import { describe, expect, it } from "vitest";
import { cliInProcess } from "../support/cli-in-process.js";
import { APP_ID, CERT, ISSUE_TS, OTHER_CERT, craft006, craft007, rtcService, rtmService } from "../unit/core/token/token-fixtures.js";

const DAY = 86_400;
const OTHER_APP_ID = "0badc0de0badc0de0badc0de0badc0de";
const PENDING_CERT = "11112222333344445555666677778888";
const SECRETS = [CERT, OTHER_CERT, PENDING_CERT];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function rtmAuth(args: string[]): Promise<Run> {
  const run = await cliInProcess(args);
  for (const secret of SECRETS) {
    if (run.stdout.toLowerCase().includes(secret) || run.stderr.toLowerCase().includes(secret)) throw new Error(`rtm-auth ${args.join(" ")} printed a certificate`);
  }
  return run;
}

/** `token verify --json` for alice on APP_ID with CERT, at `now`; resolves to exit code and answer. */
async function verify(token: string, now: number, ...extra: string[]): Promise<{ code: number | null; answer: Record<string, unknown> }> {
  const r = await rtmAuth(["token", "verify", "--json", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(now), ...extra, "--", token]);
  expect(r.stderr).toBe("");
  return { code: r.code, answer: JSON.parse(r.stdout) as Record<string, unknown> };
}

const hintCodes = (answer: Record<string, unknown>): string[] => ((answer["hints"] as Array<{ code: string }> | undefined) ?? []).map((h) => h.code);

/** The now + 3600 builder mistake, and a 7-day token. */
const MISTAKE = craft007({ expire: ISSUE_TS + 3600, services: [rtmService("alice", [[1, ISSUE_TS + 3600]])] });
const WEEK = craft007({ expire: 7 * DAY, services: [rtmService("alice", [[1, 7 * DAY]])] });

describe.concurrent("token verify --max-lifetime", () => {
  it("now + 3600 as 007 expire: valid, expiresAt capped at issue + 86400 by default; the cap off with 0", async () => {
    const [capped, off] = await Promise.all([verify(MISTAKE, ISSUE_TS + 60), verify(MISTAKE, ISSUE_TS + 60, "--max-lifetime", "0")]);
    expect(capped.code).toBe(0);
    expect(capped.answer).toMatchObject({ valid: true, reason: "ok", version: "007", expiresAt: ISSUE_TS + DAY, slot: "primary" });
    expect(hintCodes(capped.answer)).toEqual(["expire_looks_like_timestamp", "lifetime_capped"]);
    expect(off.answer).toMatchObject({ valid: true, expiresAt: ISSUE_TS + ISSUE_TS + 3600 });
    expect(hintCodes(off.answer)).toEqual(["expire_looks_like_timestamp"]);
  });

  it("a 7-day token 25 h after issue: invalid token_expired (exit 1), valid under a longer cap", async () => {
    const at = ISSUE_TS + 25 * 3600;
    const [dflt, week, text] = await Promise.all([
      verify(WEEK, at),
      verify(WEEK, at, "--max-lifetime", String(7 * DAY)),
      rtmAuth(["token", "verify", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--now", String(at), WEEK]),
    ]);
    expect(dflt).toEqual({ code: 1, answer: { valid: false, reason: "token_expired", hints: [expect.objectContaining({ code: "lifetime_capped" })] } });
    expect(week).toEqual({ code: 0, answer: { valid: true, reason: "ok", version: "007", expiresAt: ISSUE_TS + 7 * DAY, slot: "primary" } });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(
      "invalid: token_expired\nhint lifetime_capped: The token asks to stay valid until 2024-06-17T06:13:20Z, 604800 s after its issue time; lifetimes are capped at 86400 s (MAX_TOKEN_LIFETIME_SECONDS), so it expires at 2024-06-11T06:13:20Z: build tokens with a lifetime of at most 86400 s.\n",
    );
  });

  it("a bad --max-lifetime is a usage error", async () => {
    const r = await rtmAuth(["token", "verify", "--app-id", APP_ID, "--certificate", CERT, "--uid", "alice", "--max-lifetime", "1.5", MISTAKE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rtm-auth token verify: --max-lifetime must be a non-negative decimal integer/);
  });
});

describe.concurrent("token verify: every hint code", () => {
  const NOW = ISSUE_TS + 60;
  it.each([
    ["rtc_token", craft007({ services: [rtcService("room", "42", [[1, 3600]])] }), [], "not_rtm_token", ["rtc_token"]],
    ["app_id_as_token", APP_ID, [], "unsupported_version", ["app_id_as_token"]],
    ["other_project_token", craft007({ appId: OTHER_APP_ID }), ["--known-app-id", OTHER_APP_ID], "app_id_mismatch", ["other_project_token"]],
    ["built_for_other_account (006)", craft006({ channel: "bob" }), [], "invalid_signature", ["built_for_other_account"]],
    ["built_for_other_account (007)", craft007({ services: [rtmService("Alice")] }), [], "uid_mismatch", ["built_for_other_account"]],
    ["certificate_not_active_yet", craft007({ certificate: PENDING_CERT }), ["--pending-certificate", PENDING_CERT], "invalid_signature", ["certificate_not_active_yet"]],
    ["deleted_certificate", craft007({ certificate: OTHER_CERT }), ["--deleted-certificate", OTHER_CERT], "invalid_signature", ["deleted_certificate"]],
    ["token_from_future", craft007({ issueTs: NOW + 300, services: [rtmService("bob")] }), [], "uid_mismatch", ["token_from_future"]],
    ["privilege_before_issue", craft006({ privileges: [[1000, 3600]] }), [], "privilege_expired", ["privilege_before_issue"]],
    ["expire_looks_like_timestamp", MISTAKE, [], "ok", ["expire_looks_like_timestamp", "lifetime_capped"]],
    ["lifetime_capped", WEEK, [], "ok", ["lifetime_capped"]],
  ] as const)("%s", async (_name, token, extra, reason, expected) => {
    const r = await verify(token, NOW, ...extra);
    expect({ code: r.code, reason: r.answer["reason"], hints: hintCodes(r.answer) }).toEqual({ code: reason === "ok" ? 0 : 1, reason, hints: expected });
    for (const h of r.answer["hints"] as Array<{ message: string }>) expect(h.message).toMatch(/^[A-Z].*\.$/);
  });

  it("without the facts, the world-dependent codes do not fire: the same tokens get only their reason", async () => {
    const runs = await Promise.all([
      verify(craft007({ appId: OTHER_APP_ID }), NOW),
      verify(craft007({ certificate: PENDING_CERT }), NOW),
      verify(craft007({ certificate: OTHER_CERT }), NOW, "--deleted-certificate", PENDING_CERT),
    ]);
    expect(runs.map((r) => r.answer)).toEqual([
      { valid: false, reason: "app_id_mismatch" },
      { valid: false, reason: "invalid_signature" },
      { valid: false, reason: "invalid_signature" },
    ]);
  });

  it("a sound token has no hints field at all", async () => {
    expect(await verify(craft007(), NOW)).toEqual({ code: 0, answer: { valid: true, reason: "ok", version: "007", expiresAt: ISSUE_TS + 3600, slot: "primary" } });
  });
});

describe.concurrent("token inspect: the token's own hints", () => {
  it.each([
    ["rtc_token", craft006({ channel: "room", uid: "42", privileges: [[1, ISSUE_TS + 3600]] }), ["rtc_token"]],
    ["token_from_future (issued in 2096)", craft007({ issueTs: 4_000_000_000 }), ["token_from_future"]],
    ["privilege_before_issue", craft006({ privileges: [[1000, 3600]] }), ["privilege_before_issue"]],
    ["expire_looks_like_timestamp, lifetime_capped", MISTAKE, ["expire_looks_like_timestamp", "lifetime_capped"]],
  ] as const)("%s", async (_name, token, expected) => {
    const r = await rtmAuth(["token", "inspect", "--json", token]);
    expect(r.code).toBe(0);
    expect(hintCodes(JSON.parse(r.stdout) as Record<string, unknown>)).toEqual(expected);
  });

  it("app_id_as_token on an undecodable App ID, in JSON and in text", async () => {
    const [json, text] = await Promise.all([rtmAuth(["token", "inspect", "--json", APP_ID]), rtmAuth(["token", "inspect", APP_ID])]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      decoded: false,
      reason: "unsupported_version",
      detail: "unknown version prefix",
      hints: [expect.objectContaining({ code: "app_id_as_token" })],
    });
    expect(text.stdout).toMatch(/^undecodable: unsupported_version \(unknown version prefix\)\nhint app_id_as_token: The token is 32 hexadecimal characters/);
  });

  it("text output ends with one line per hint", async () => {
    const r = await rtmAuth(["token", "inspect", WEEK]);
    expect(r.stdout).toMatch(/unverified claims\)\nhint lifetime_capped: .*expires at 2024-06-11T06:13:20Z.*\n$/);
  });
});
