import { describe, expect, it } from "vitest";
import { parseFrame } from "../../../../gateway/protocol/messages.js";

const j = (v: unknown): string => JSON.stringify(v);

describe("parseFrame (docs/protocol.md, \"Requests\")", () => {
  const VIOLATIONS: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["empty text", "", /not JSON/],
    ["not JSON", "hello", /not JSON/],
    ["truncated JSON", '{"id":1,"op":"ping"', /not JSON/],
    ["JSON with a trailing comma", '{"id":1,"op":"ping",}', /not JSON/],
    ["array", j([{ id: 1, op: "ping" }]), /not a JSON object/],
    ["empty array", "[]", /not a JSON object/],
    ["null", "null", /not a JSON object/],
    ["number", "42", /not a JSON object/],
    ["string", j("ping"), /not a JSON object/],
    ["boolean", "true", /not a JSON object/],
    ["missing id", j({ op: "ping" }), /id/],
    ["id null", j({ id: null, op: "ping" }), /id/],
    ["id 0", j({ id: 0, op: "ping" }), /id/],
    ["id -1", j({ id: -1, op: "ping" }), /id/],
    ["id 1.5", j({ id: 1.5, op: "ping" }), /id/],
    ['id "1"', j({ id: "1", op: "ping" }), /id/],
    ["id true", j({ id: true, op: "ping" }), /id/],
    ["id beyond the safe integers", '{"id":9007199254740993,"op":"ping"}', /id/],
    ["id 1e400 (Infinity)", '{"id":1e400,"op":"ping"}', /id/],
    ["missing op", j({ id: 1 }), /unknown op/],
    ["unknown op", j({ id: 1, op: "subscribe" }), /unknown op/],
    ["op in another case", j({ id: 1, op: "Login" }), /unknown op/],
    ["op not a string", j({ id: 1, op: 1 }), /unknown op/],
    ["op inherited from the prototype", j({ id: 1, op: "toString" }), /unknown op/],
    ["unknown profile", j({ id: 1, op: "login", appId: "a", uid: "u", profile: "rtm3" }), /profile/],
    ["profile in another case", j({ id: 1, op: "login", appId: "a", uid: "u", profile: "RTM1" }), /profile/],
    ["profile not a string", j({ id: 1, op: "login", appId: "a", uid: "u", profile: 2 }), /profile/],
  ];
  it.each(VIOLATIONS)("violation: %s", (_label, text, detail) => {
    const f = parseFrame(text);
    expect(f.kind).toBe("violation");
    if (f.kind === "violation") expect(f.detail).toMatch(detail);
  });

  it("a login with every field", () => {
    expect(parseFrame(j({ id: 7, op: "login", appId: "A", uid: "U", token: "007x", profile: "rtm2" }))).toEqual({
      kind: "login",
      id: 7,
      appId: "A",
      uid: "U",
      token: "007x",
      profile: "rtm2",
    });
  });

  it("a login without profile defaults to rtm1; profile null too", () => {
    expect(parseFrame(j({ id: 1, op: "login", appId: "A", uid: "U", token: null }))).toMatchObject({ kind: "login", profile: "rtm1", token: null });
    expect(parseFrame(j({ id: 1, op: "login", appId: "A", uid: "U", profile: null }))).toMatchObject({ kind: "login", profile: "rtm1" });
    expect(parseFrame(j({ id: 1, op: "login", appId: "A", uid: "U", profile: "rtm1" }))).toMatchObject({ kind: "login", profile: "rtm1" });
  });

  it("a login passes mistyped or missing fields through for the gateway to answer (not a violation)", () => {
    expect(parseFrame(j({ id: 1, op: "login" }))).toEqual({ kind: "login", id: 1, appId: undefined, uid: undefined, token: undefined, profile: "rtm1" });
    expect(parseFrame(j({ id: 1, op: "login", appId: 5, uid: { a: 1 }, token: 12 }))).toEqual({
      kind: "login",
      id: 1,
      appId: 5,
      uid: { a: 1 },
      token: 12,
      profile: "rtm1",
    });
  });

  it("renewToken, logout and ping", () => {
    expect(parseFrame(j({ id: 2, op: "renewToken", token: "007y" }))).toEqual({ kind: "renewToken", id: 2, token: "007y" });
    expect(parseFrame(j({ id: 2, op: "renewToken" }))).toEqual({ kind: "renewToken", id: 2, token: undefined });
    expect(parseFrame(j({ id: 3, op: "logout" }))).toEqual({ kind: "logout", id: 3 });
    expect(parseFrame(j({ id: 4, op: "ping" }))).toEqual({ kind: "ping", id: 4 });
  });

  it("unknown fields are ignored", () => {
    expect(parseFrame(j({ id: 4, op: "ping", extra: [1, 2, 3], nested: { x: 1 } }))).toEqual({ kind: "ping", id: 4 });
  });

  it("the largest safe integer is a valid id; whitespace around the JSON is fine", () => {
    expect(parseFrame(j({ id: Number.MAX_SAFE_INTEGER, op: "ping" }))).toEqual({ kind: "ping", id: Number.MAX_SAFE_INTEGER });
    expect(parseFrame(`  \n${j({ id: 1, op: "ping" })}\n `)).toEqual({ kind: "ping", id: 1 });
  });

  it("a __proto__ key does not confuse it", () => {
    expect(parseFrame('{"__proto__":{"op":"ping"},"id":1}')).toMatchObject({ kind: "violation" });
    expect(parseFrame('{"id":1,"op":"ping","__proto__":{"id":-1}}')).toEqual({ kind: "ping", id: 1 });
  });

  it("never throws, whatever the input", () => {
    const inputs = ["{", "}", "\u0000", "\uFFFF", '{"id":1,"op":"login","profile":{}}', "[[[[[[[[[[]]]]]]]]]]", "1".repeat(1000), '"\\ud800"'];
    for (const t of inputs) expect(() => parseFrame(t)).not.toThrow();
  });
});
