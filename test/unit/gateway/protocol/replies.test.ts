import { describe, expect, it } from "vitest";
import type { LoginResult } from "../../../../core/protocol/wire.js";
import { loginReplyJson } from "../../../../gateway/protocol/replies.js";

/** What the reply was before it was joined by hand: the generic serialisation of the reply object. */
function generic(id: number, result: LoginResult): string {
  return JSON.stringify({ id, ok: true, op: "login", result });
}

const base: LoginResult = {
  sessionId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  appId: "f3000000000000000000000000000003",
  uid: "alice",
  credential: "token",
  tokenVersion: "007",
  expiresAt: 1_796_170_000,
  serverTime: 1_796_166_400,
};

describe("loginReplyJson", () => {
  it("is byte for byte the generic serialisation, with the fields in LoginResult's order", () => {
    expect(loginReplyJson(1, base)).toBe(generic(1, base));
    expect(Object.keys(JSON.parse(loginReplyJson(1, base)).result)).toEqual(["sessionId", "appId", "uid", "credential", "tokenVersion", "expiresAt", "serverTime"]);
  });

  // Uids are the client's: quotes, backslashes, control characters, non-BMP and lone surrogates
  // (JSON.stringify writes those as \udXXX escapes), and the empty string.
  const uids = ['a"b', "back\\slash", "tab\there", "nul\u0000", "\u007f\u2028\u2029", "日本語", "😀", "\ud800", "\udc00x", "", " ".repeat(64)];
  it.each(uids)("escapes the uid %j as JSON.stringify does", (uid) => {
    const r = { ...base, uid };
    expect(loginReplyJson(42, r)).toBe(generic(42, r));
    expect(JSON.parse(loginReplyJson(42, r)).result.uid).toBe(JSON.parse(JSON.stringify(uid)));
  });

  it.each([
    ["an App ID login (no token, no expiry)", { credential: "appid", tokenVersion: null, expiresAt: null }],
    ["a 006 token", { tokenVersion: "006" }],
    ["expiresAt and serverTime 0", { serverTime: 0, expiresAt: 0 }],
  ] as const)("matches for %s, for ids up to the largest safe integer", (_name, patch) => {
    const r = { ...base, ...patch } as LoginResult;
    for (const id of [1, 7, Number.MAX_SAFE_INTEGER]) expect(loginReplyJson(id, r)).toBe(generic(id, r));
  });
});
