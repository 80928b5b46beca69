import { describe, expect, it } from "vitest";
import { REASONS, type FailureReason } from "../../../../core/errors.js";
import { CLOSE, RTM2_REASON } from "../../../../core/protocol/wire.js";
import { ARGUMENT_ERROR, TIMEOUT_CODES, WIRE_CODES, type CodeName, type WireMapping } from "../../../../gateway/protocol/wire-codes.js";
import { errorCode } from "../../../../gateway/sessions/session-manager.js";

const FAILURES = REASONS.filter((r): r is FailureReason => r !== "ok");
const rows = (): Array<[FailureReason, WireMapping]> => FAILURES.map((r) => [r, WIRE_CODES[r]]);
const COLUMNS = ["rtm1Login", "rtm1Renew", "rtm1Logout", "rtm2Login", "rtm2Renew"] as const;

describe("WIRE_CODES: the reason → code table", () => {
  it("has exactly one row per failure reason (every REASON except ok), and nothing else", () => {
    expect(Object.keys(WIRE_CODES).sort()).toEqual([...FAILURES].sort());
    expect(Object.keys(WIRE_CODES)).not.toContain("ok");
  });

  it.each(FAILURES)("%s: every column is filled with a code and a name", (reason) => {
    const m = WIRE_CODES[reason];
    for (const col of COLUMNS) {
      const c: CodeName = m[col];
      expect(Number.isInteger(c.code), `${reason}.${col}`).toBe(true);
      expect(c.name.length, `${reason}.${col}`).toBeGreaterThan(0);
    }
    expect(Object.keys(RTM2_REASON)).toContain(m.rtm2LinkReason);
    expect(typeof m.retryable).toBe("boolean");
    expect(m.http).toBeGreaterThanOrEqual(400);
    expect(m.http).toBeLessThan(600);
  });

  it("names follow each SDK's enum: LOGIN_ERR_, RENEW_TOKEN_ERR_, LOGOUT_ERR_, RTM_ERROR_", () => {
    for (const [reason, m] of rows()) {
      expect(m.rtm1Login.name, reason).toMatch(/^LOGIN_ERR_[A-Z_]+$/);
      expect(m.rtm1Renew.name, reason).toMatch(/^RENEW_TOKEN_ERR_[A-Z_]+$/);
      expect(m.rtm1Logout.name, reason).toMatch(/^LOGOUT_ERR_[A-Z_]+$/);
      expect(m.rtm2Login.name, reason).toMatch(/^RTM_ERROR_[A-Z_]+$/);
      expect(m.rtm2Renew.name, reason).toMatch(/^RTM_ERROR_[A-Z_]+$/);
      // 1.x codes are positive, 2.x codes are the -100xx range; no failure maps to 0 (OK).
      for (const col of ["rtm1Login", "rtm1Renew", "rtm1Logout"] as const) expect(m[col].code, `${reason}.${col}`).toBeGreaterThan(0);
      for (const col of ["rtm2Login", "rtm2Renew"] as const) {
        expect(m[col].code, `${reason}.${col}`).toBeLessThanOrEqual(-10001);
        expect(m[col].code, `${reason}.${col}`).toBeGreaterThanOrEqual(-10099);
      }
    }
  });

  it("one code has one name per enum (no two rows disagree)", () => {
    const enums: Array<readonly (typeof COLUMNS)[number][]> = [["rtm1Login"], ["rtm1Renew"], ["rtm1Logout"], ["rtm2Login", "rtm2Renew"]];
    for (const cols of enums) {
      const byCode = new Map<number, string>();
      for (const [reason, m] of rows()) {
        for (const col of cols) {
          const { code, name } = m[col];
          const seen = byCode.get(code);
          if (seen !== undefined) expect(name, `${reason}.${col} code ${code}`).toBe(seen);
          byCode.set(code, name);
        }
      }
    }
  });

  it("RTM 1.x swaps 5 and 6 between login and renewToken (§3.1 vs §4.1)", () => {
    expect(WIRE_CODES.invalid_signature.rtm1Login).toEqual({ code: 5, name: "LOGIN_ERR_INVALID_TOKEN" });
    expect(WIRE_CODES.invalid_signature.rtm1Renew).toEqual({ code: 6, name: "RENEW_TOKEN_ERR_INVALID_TOKEN" });
    expect(WIRE_CODES.token_expired.rtm1Login).toEqual({ code: 6, name: "LOGIN_ERR_TOKEN_EXPIRED" });
    expect(WIRE_CODES.token_expired.rtm1Renew).toEqual({ code: 5, name: "RENEW_TOKEN_ERR_TOKEN_EXPIRED" });
    expect(WIRE_CODES.privilege_expired.rtm1Login.code).toBe(6);
    expect(WIRE_CODES.privilege_expired.rtm1Renew.code).toBe(5);
    // 2.x does not swap.
    expect(WIRE_CODES.invalid_signature.rtm2Login.code).toBe(WIRE_CODES.invalid_signature.rtm2Renew.code);
    expect(WIRE_CODES.token_expired.rtm2Login.code).toBe(WIRE_CODES.token_expired.rtm2Renew.code);
  });

  it("every login INVALID_TOKEN (5) is a renew INVALID_TOKEN (6) and every login TOKEN_EXPIRED (6) a renew TOKEN_EXPIRED (5)", () => {
    for (const [reason, m] of rows()) {
      if (m.rtm1Login.code === 5 && m.rtm1Renew.name.endsWith("INVALID_TOKEN")) expect(m.rtm1Renew.code, reason).toBe(6);
      if (m.rtm1Login.name === "LOGIN_ERR_TOKEN_EXPIRED" && reason !== "session_token_expired") expect(m.rtm1Renew.code, reason).toBe(5);
    }
  });

  it("session-ending reasons carry their close codes; no other reason closes", () => {
    expect(WIRE_CODES.remote_login.close).toBe(4501);
    expect(WIRE_CODES.banned.close).toBe(4502);
    expect(WIRE_CODES.session_token_expired.close).toBe(4503);
    expect([CLOSE.remoteLogin, CLOSE.banned, CLOSE.sessionTokenExpired]).toEqual([4501, 4502, 4503]);
    const closing = rows()
      .filter(([, m]) => m.close !== null)
      .map(([r]) => r)
      .sort();
    expect(closing).toEqual(["banned", "remote_login", "session_token_expired"]);
    // 4500–4999: the client should not reconnect as it is.
    for (const r of closing) expect(WIRE_CODES[r].retryable, r).toBe(false);
  });

  it("the link-state reasons of the session ends (§6.3)", () => {
    expect(WIRE_CODES.remote_login.rtm2LinkReason).toBe("SAME_UID_LOGIN");
    expect(WIRE_CODES.banned.rtm2LinkReason).toBe("KICKED_OUT_BY_SERVER");
    expect(WIRE_CODES.session_token_expired.rtm2LinkReason).toBe("TOKEN_EXPIRED");
    expect(WIRE_CODES.invalid_uid.rtm2LinkReason).toBe("INVALID_USER_ID");
    expect(WIRE_CODES.invalid_signature.rtm2LinkReason).toBe("INVALID_TOKEN");
    expect(WIRE_CODES.app_id_mismatch.rtm2LinkReason).toBe("INCONSISTENT_APP_ID");
  });

  it("retryable: too_often and the could-not-decide reasons; never a token problem", () => {
    expect(WIRE_CODES.too_often.retryable).toBe(true);
    expect(WIRE_CODES.store_unavailable.retryable).toBe(true);
    for (const r of ["malformed", "invalid_signature", "token_expired", "uid_mismatch", "unknown_app_id", "invalid_uid", "internal_error"] as const) {
      expect(WIRE_CODES[r].retryable, r).toBe(false);
    }
  });

  it("the gateway's could-not-decide reasons never look like an accept or a token verdict", () => {
    expect(WIRE_CODES.store_unavailable.rtm1Login.code).toBe(1);
    expect(WIRE_CODES.internal_error.rtm1Login.code).toBe(1);
    expect(WIRE_CODES.store_unavailable.http).toBe(503);
    expect(WIRE_CODES.internal_error.http).toBe(500);
  });

  // docs/agora-behaviour.md, "Login" (login), "renewToken" (renew), "Logout" (logout).
  type Row = { reason: FailureReason; rtm1Login?: number; rtm1Renew?: number; rtm1Logout?: number; rtm2Login?: number; rtm2Renew?: number };
  const EXPECTED: readonly Row[] = [
    { reason: "malformed", rtm1Login: 5, rtm1Renew: 6, rtm2Login: -10005, rtm2Renew: -10005 },
    { reason: "unsupported_version", rtm1Login: 5, rtm1Renew: 6, rtm2Login: -10005 },
    { reason: "invalid_signature", rtm1Login: 5, rtm1Renew: 6, rtm2Login: -10005, rtm2Renew: -10005 },
    { reason: "app_id_mismatch", rtm1Login: 5, rtm2Login: -10016, rtm2Renew: -10016 },
    { reason: "not_rtm_token", rtm1Login: 2, rtm2Login: -10015 },
    { reason: "uid_mismatch", rtm1Login: 3, rtm1Renew: 6, rtm2Login: -10005 },
    { reason: "token_expired", rtm1Login: 6, rtm1Renew: 5, rtm2Login: -10009, rtm2Renew: -10009 },
    { reason: "privilege_expired", rtm1Login: 6, rtm1Renew: 5, rtm2Login: -10009, rtm2Renew: -10009 },
    { reason: "token_required", rtm1Login: 5, rtm2Login: -10005 },
    { reason: "token_not_accepted", rtm1Login: 5, rtm2Login: -10003 },
    { reason: "unknown_app_id", rtm1Login: 4, rtm2Login: -10003 },
    { reason: "invalid_uid", rtm1Login: 3, rtm2Login: -10006 },
    { reason: "already_logged_in", rtm1Login: 8, rtm2Login: -10017 },
    { reason: "too_often", rtm1Login: 10, rtm1Renew: 4, rtm2Login: -10021, rtm2Renew: -10021 },
    { reason: "not_logged_in", rtm1Renew: 102, rtm1Logout: 102, rtm2Renew: -10025 },
    { reason: "login_canceled", rtm1Login: 201, rtm2Login: -10023 },
  ];
  it.each(EXPECTED.map((r) => [r.reason, r] as const))("§3.5 / §4: %s", (reason, row) => {
    const m = WIRE_CODES[reason];
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const col of COLUMNS) {
      const v = row[col];
      if (v === undefined) continue;
      want[col] = v;
      got[col] = m[col].code;
    }
    expect(got).toEqual(want);
  });

  it("names of a few well-known rows", () => {
    expect(WIRE_CODES.unknown_app_id.rtm1Login.name).toBe("LOGIN_ERR_INVALID_APP_ID");
    expect(WIRE_CODES.unknown_app_id.rtm2Login.name).toBe("RTM_ERROR_INVALID_APP_ID");
    expect(WIRE_CODES.invalid_uid.rtm2Login.name).toBe("RTM_ERROR_INVALID_USER_ID");
    expect(WIRE_CODES.app_id_mismatch.rtm2Login.name).toBe("RTM_ERROR_INCONSISTENT_APPID");
    expect(WIRE_CODES.not_rtm_token.rtm2Login.name).toBe("RTM_ERROR_LOGIN_NOT_AUTHORIZED");
    expect(WIRE_CODES.too_often.rtm1Login.name).toBe("LOGIN_ERR_TOO_OFTEN");
    expect(WIRE_CODES.too_often.rtm1Renew.name).toBe("RENEW_TOKEN_ERR_TOO_OFTEN");
    expect(WIRE_CODES.not_logged_in.rtm1Renew.name).toBe("RENEW_TOKEN_ERR_USER_NOT_LOGGED_IN");
    expect(WIRE_CODES.not_logged_in.rtm1Logout.name).toBe("LOGOUT_ERR_USER_NOT_LOGGED_IN");
    expect(WIRE_CODES.not_logged_in.rtm2Renew.name).toBe("RTM_ERROR_NOT_CONNECTED");
  });
});

describe("ARGUMENT_ERROR and TIMEOUT_CODES", () => {
  it("INVALID_ARGUMENT per profile and operation (docs/reasons.md, \"Argument errors\")", () => {
    expect(ARGUMENT_ERROR.rtm1.login).toEqual({ code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT" });
    expect(ARGUMENT_ERROR.rtm1.renewToken).toEqual({ code: 2, name: "RENEW_TOKEN_ERR_INVALID_ARGUMENT" });
    expect(ARGUMENT_ERROR.rtm2.login).toEqual({ code: -10005, name: "RTM_ERROR_INVALID_TOKEN" });
    expect(ARGUMENT_ERROR.rtm2.renewToken).toEqual({ code: -10005, name: "RTM_ERROR_INVALID_TOKEN" });
  });

  it("client-side timeouts", () => {
    expect(TIMEOUT_CODES.rtm1Login).toEqual({ code: 9, name: "LOGIN_ERR_TIMEOUT" });
    expect(TIMEOUT_CODES.rtm2Login).toEqual({ code: -10011, name: "RTM_ERROR_LOGIN_TIMEOUT" });
  });
});

describe("errorCode (what a refusal puts on the wire)", () => {
  it("argument errors use the operation's INVALID_ARGUMENT code, whatever the reason", () => {
    expect(errorCode("rtm1", "login", "malformed", true).code).toBe(3);
    expect(errorCode("rtm1", "renewToken", "malformed", true).code).toBe(2);
    expect(errorCode("rtm2", "login", "malformed", true).code).toBe(-10005);
    expect(errorCode("rtm2", "renewToken", "malformed", true).code).toBe(-10005);
  });

  it("otherwise the table's column for the profile and operation", () => {
    expect(errorCode("rtm1", "login", "invalid_signature", false).code).toBe(5);
    expect(errorCode("rtm1", "renewToken", "invalid_signature", false).code).toBe(6);
    expect(errorCode("rtm1", "logout", "not_logged_in", false).code).toBe(102);
    expect(errorCode("rtm2", "login", "invalid_uid", false).code).toBe(-10006);
    expect(errorCode("rtm2", "renewToken", "not_logged_in", false).code).toBe(-10025);
    for (const r of FAILURES) {
      expect(errorCode("rtm1", "login", r, false)).toBe(WIRE_CODES[r].rtm1Login);
      expect(errorCode("rtm1", "renewToken", r, false)).toBe(WIRE_CODES[r].rtm1Renew);
      expect(errorCode("rtm1", "logout", r, false)).toBe(WIRE_CODES[r].rtm1Logout);
      expect(errorCode("rtm2", "login", r, false)).toBe(WIRE_CODES[r].rtm2Login);
      expect(errorCode("rtm2", "renewToken", r, false)).toBe(WIRE_CODES[r].rtm2Renew);
    }
  });
});
