/**
 * The table of the login matrix (docs/agora-behaviour.md, "Login"; docs/reasons.md, "Login codes"): one
 * row per login situation, with the code and name each profile answers, the gateway's reason and the
 * 2.x link-state reason. Shared by test/integration/login-matrix.test.ts (the client SDK) and
 * test/compat/login-matrix-compat.test.ts (the compat modules must answer every row the same way).
 */
import { build007 } from "../../core/token/index.js";
import { APPS, T0, type Harness } from "./gateway-harness.js";

type App = keyof typeof APPS;

/** One login situation and what each profile answers (docs/reasons.md, "Login codes"). */
export interface LoginMatrixRow {
  situation: string;
  app: App | { appId: string };
  uid: string;
  /** The token to log in with, minted on the harness's gateway (null/undefined: none). */
  token: (h: Harness) => string | null | undefined;
  rtm1: { code: number; name: string } | "ok";
  rtm2: { code: number; name: string } | "ok";
  reason: string;
  /** The 2.x link-state reason on failure. */
  link?: string;
}

const OTHER_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const rtcOnly = () =>
  build007({
    appId: APPS.token.appId,
    certificate: APPS.token.certificate,
    issueTs: T0,
    expire: 3600,
    salt: 9,
    services: [{ type: 1, privileges: [[1, 3600]], channelName: "alice", uid: "" }],
  });

const L = (code: number, name: string) => ({ code, name: `LOGIN_ERR_${name}` });
const E = (code: number, name: string) => ({ code, name: `RTM_ERROR_${name}` });

/** Every row of the login matrix, in order. */
export const LOGIN_MATRIX: readonly LoginMatrixRow[] = [
  { situation: "uid empty", app: "token", uid: "", token: (h) => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "uid > 64 bytes", app: "token", uid: "u".repeat(65), token: (h) => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "uid with an illegal character", app: "token", uid: "d’oh", token: (h) => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: 'uid "null"', app: "token", uid: "null", token: (h) => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "App ID unknown", app: { appId: "0123456789abcdef0123456789abcdef" }, uid: "alice", token: () => null, rtm1: L(4, "INVALID_APP_ID"), rtm2: E(-10003, "INVALID_APP_ID"), reason: "unknown_app_id", link: "LOGIN_REJECTED" },
  { situation: "token malformed", app: "token", uid: "alice", token: () => "007eJx!!notbase64", rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "malformed", link: "INVALID_TOKEN" },
  { situation: "token of an unsupported version", app: "token", uid: "alice", token: (h) => `008${h.token("token", "alice").slice(3)}`, rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "unsupported_version", link: "INVALID_TOKEN" },
  { situation: "token for another App ID", app: "token", uid: "alice", token: (h) => h.token("either", "alice"), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10016, "INCONSISTENT_APPID"), reason: "app_id_mismatch", link: "INCONSISTENT_APP_ID" },
  { situation: "token signed with a wrong certificate", app: "token", uid: "alice", token: (h) => h.token("token", "alice", { certificate: OTHER_CERT }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "006 token built for another account", app: "token", uid: "alice", token: (h) => h.token("token", "bob", { version: "006" }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "RTC token (not an RTM token)", app: "token", uid: "alice", token: () => rtcOnly(), rtm1: L(2, "REJECTED"), rtm2: E(-10015, "LOGIN_NOT_AUTHORIZED"), reason: "not_rtm_token", link: "LOGIN_NOT_AUTHORIZED" },
  { situation: "007 token for another uid", app: "token", uid: "alice", token: (h) => h.token("token", "bob"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "uid_mismatch", link: "INVALID_TOKEN" },
  { situation: "token expired", app: "token", uid: "alice", token: (h) => h.token("token", "alice", { issueTs: T0 - 7200, expireSeconds: 3600 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "token_expired", link: "TOKEN_EXPIRED" },
  { situation: "006 privilege expired", app: "token", uid: "alice", token: (h) => h.token("token", "alice", { version: "006", issueTs: T0 - 7200, expireSeconds: 3600 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "privilege_expired", link: "TOKEN_EXPIRED" },
  { situation: "certificate project, no token", app: "token", uid: "alice", token: () => null, rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "token_required", link: "INVALID_TOKEN" },
  { situation: "App-ID project, a real token", app: "appid", uid: "alice", token: (h) => h.token("token", "alice"), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10003, "INVALID_APP_ID"), reason: "token_not_accepted", link: "LOGIN_REJECTED" },
  { situation: "App-ID project, no token", app: "appid", uid: "alice", token: () => undefined, rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: 'App-ID project, token ""', app: "appid", uid: "alice", token: () => "", rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, no token", app: "either", uid: "alice", token: () => null, rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, valid token", app: "either", uid: "alice", token: (h) => h.token("either", "alice"), rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, invalid token", app: "either", uid: "alice", token: (h) => h.token("either", "alice", { certificate: OTHER_CERT }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "either project, expired token", app: "either", uid: "alice", token: (h) => h.token("either", "alice", { issueTs: T0 - 7200 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "token_expired", link: "TOKEN_EXPIRED" },
  { situation: "token project, valid 006 token", app: "token", uid: "alice", token: (h) => h.token("token", "alice", { version: "006" }), rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "token project, secondary certificate", app: "rotating", uid: "alice", token: (h) => h.token("rotating", "alice", { certificate: APPS.rotating.secondary }), rtm1: "ok", rtm2: "ok", reason: "ok" },
];

/** The App ID a row logs in to. */
export function rowAppId(row: LoginMatrixRow): string {
  return typeof row.app === "string" ? APPS[row.app].appId : row.app.appId;
}
