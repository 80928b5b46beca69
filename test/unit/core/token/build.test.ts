import { describe, expect, it } from "vitest";
import {
  SERVICE_TYPE,
  TOKEN_006_LIFETIME_SECONDS,
  build006,
  build007,
  buildRtmToken,
  parseToken,
  rtm2Service,
  rtmService,
  verifyToken,
  type Build006Input,
  type Build007Input,
  type RtmTokenInput,
} from "../../../../core/token/index.js";
import { APP_ID, CERT, ISSUE_TS, certs } from "./token-fixtures.js";

const VECTOR_006_RTM_BASIC =
  "0061de22a3147335f512f2ea7f21b1cc47aIABfofyosiwZ/iZ09s0xZlztrEXTyongEJazlIJJGMitHke8jicAAAAAEABOYbwAAOtnZgEA6AOQp2Zm";
const VECTOR_007_RTM_BASIC =
  "007eJxTYPi+43HUhB1LdL+WGP9lbhFzkrtxYCM7y8nz39inzhJmfbtGgcEwJdXIKNHY0MTc2Ng0zdTQKM0oNdE8zcgwyTA52cQ8sWFmWpoAHwPDxtMlDIwMTAyMDIwMID4rQ2JOZnIqAGL1H2g=";

/** The error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}
const describeError = (e: Error): { type: string; message: string } => ({ type: e.constructor.name, message: e.message });

const B006: Build006Input = { appId: APP_ID, certificate: CERT, channel: "alice", uid: "", salt: 1, ts: ISSUE_TS, privileges: [[1000, 0]] };
const B007: Build007Input = { appId: APP_ID, certificate: CERT, issueTs: ISSUE_TS, expire: 3600, salt: 1, services: [rtmService("alice", 3600)] };
const RTM: RtmTokenInput = { version: "007", appId: APP_ID, certificate: CERT, uid: "alice", expireSeconds: 3600, issueTs: ISSUE_TS, salt: 1 };

const HEX_MSG = (name: string): { type: string; message: string } => ({ type: "TypeError", message: `${name} must be 32 hexadecimal characters` });
const U32_MSG = (name: string): { type: string; message: string } => ({ type: "RangeError", message: `${name} must be an integer in 0..4294967295` });
const BAD_HEX: ReadonlyArray<readonly [string, unknown]> = [
  ["31 characters", APP_ID.slice(1)],
  ["33 characters", `${APP_ID}0`],
  ["a non-hex letter", `g${APP_ID.slice(1)}`],
  ["surrounding whitespace", ` ${APP_ID.slice(1)}`],
  ["empty", ""],
  ["a number", 12345],
  ["undefined", undefined],
];
const BAD_U32: ReadonlyArray<readonly [string, number]> = [
  ["-1", -1],
  ["2^32", 2 ** 32],
  ["1.5", 1.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
];

describe("builders: misuse is an exception, never an empty token", () => {
  describe.each([
    ["build006", (o: Record<string, unknown>) => build006({ ...B006, ...o } as Build006Input)],
    ["build007", (o: Record<string, unknown>) => build007({ ...B007, ...o } as Build007Input)],
    ["buildRtmToken 006", (o: Record<string, unknown>) => buildRtmToken({ ...RTM, version: "006", ...o } as RtmTokenInput)],
    ["buildRtmToken 007", (o: Record<string, unknown>) => buildRtmToken({ ...RTM, ...o } as RtmTokenInput)],
  ] as const)("%s", (_builder, build) => {
    it.each(BAD_HEX)("appId: %s → TypeError", (_name, appId) => {
      expect(describeError(thrown(() => build({ appId })))).toEqual(HEX_MSG("appId"));
    });
    it.each(BAD_HEX)("certificate: %s → TypeError", (_name, certificate) => {
      expect(describeError(thrown(() => build({ certificate })))).toEqual(HEX_MSG("certificate"));
    });
    it.each(BAD_U32)("salt %s → RangeError", (_name, salt) => {
      expect(describeError(thrown(() => build({ salt })))).toEqual(U32_MSG("salt"));
    });
    it("accepts mixed-case hex and keeps it as written", () => {
      const appId = "1DE22a3147335F512f2ea7f21b1cc47A";
      const certificate = "BC9862a1bc79df352e11f61137115E27";
      const token = build({ appId, certificate });
      const p = parseToken(token);
      expect(p.ok && p.token.appId).toBe(appId);
      const ok = verifyToken({ token, appId, uid: "alice", certificates: certs(certificate), now: ISSUE_TS });
      const lower = verifyToken({ token, appId, uid: "alice", certificates: certs(certificate.toLowerCase()), now: ISSUE_TS });
      expect([ok.valid, lower.valid ? "valid" : lower.reason]).toEqual([true, "invalid_signature"]);
    });
  });

  it.each(BAD_U32)("build006 ts %s → RangeError", (_name, ts) => {
    expect(describeError(thrown(() => build006({ ...B006, ts })))).toEqual(U32_MSG("ts"));
  });
  it.each(BAD_U32)("build006 privilege value %s → RangeError", (_name, v) => {
    expect(describeError(thrown(() => build006({ ...B006, privileges: [[1000, v]] })))).toEqual(U32_MSG("privilege 1000"));
  });
  it.each([
    ["65536", 65_536],
    ["-1", -1],
    ["1.5", 1.5],
  ])("build006 privilege id %s → RangeError", (_name, k) => {
    expect(describeError(thrown(() => build006({ ...B006, privileges: [[k, 0]] })))).toEqual({ type: "RangeError", message: "privilege ids are u16" });
  });
  it.each(BAD_U32)("build007 issueTs %s → RangeError", (_name, issueTs) => {
    expect(describeError(thrown(() => build007({ ...B007, issueTs })))).toEqual(U32_MSG("issueTs"));
  });
  it.each(BAD_U32)("build007 expire %s → RangeError", (_name, expire) => {
    expect(describeError(thrown(() => build007({ ...B007, expire })))).toEqual(U32_MSG("expire"));
  });
  it("build007 with no service → TypeError", () => {
    expect(describeError(thrown(() => build007({ ...B007, services: [] })))).toEqual({ type: "TypeError", message: "a 007 token needs at least one service" });
  });
  it("build007 with a userId over 65535 bytes → RangeError", () => {
    expect(describeError(thrown(() => build007({ ...B007, services: [rtmService("é".repeat(32_768), 0)] })))).toEqual({
      type: "RangeError",
      message: "a bytes16 field holds at most 65535 bytes, got 65536",
    });
  });
  it("build007 with a privilege value out of u32 → RangeError", () => {
    expect(describeError(thrown(() => build007({ ...B007, services: [rtmService("alice", -1)] })))).toEqual(U32_MSG("privilege 1"));
    expect(describeError(thrown(() => build007({ ...B007, services: [rtmService("alice", 2 ** 32)] })))).toEqual(U32_MSG("privilege 1"));
  });
  it.each([
    ["a privilege id of 65536", { type: 4, privileges: [[65_536, 0]] }, "a privilege id must be an integer in 0..65535"],
    ["a privilege id of -1", { type: 9, privileges: [[-1, 0]] }, "a privilege id must be an integer in 0..65535"],
    ["an APaaS role of 32768", { type: 7, privileges: [], roomUuid: "r", userUuid: "u", role: 32_768 }, "the APaaS role must be an integer in -32768..32767"],
    ["an APaaS role of 1.5", { type: 7, privileges: [], roomUuid: "r", userUuid: "u", role: 1.5 }, "the APaaS role must be an integer in -32768..32767"],
    ["an RTM2 resource type of 65536", { type: 8, privileges: [], userId: "a", permissions: [{ resourceType: 65_536, permissions: [] }] }, "an RTM2 resource type must be an integer in 0..65535"],
    ["an RTM2 permission type of -1", { type: 8, privileges: [], userId: "a", permissions: [{ resourceType: 0, permissions: [{ permType: -1, resources: [] }] }] }, "an RTM2 permission type must be an integer in 0..65535"],
    ["an RTM2 resource over 65535 bytes", { type: 8, privileges: [], userId: "a", permissions: [{ resourceType: 0, permissions: [{ permType: 0, resources: ["x".repeat(65_536)] }] }] }, "a bytes16 field holds at most 65535 bytes, got 65536"],
    ["65536 services", null, "the service count must be an integer in 0..65535"],
  ] as const)("build007 with %s → RangeError", (_name, service, message) => {
    const services = (service === null ? new Array(65_536).fill({ type: 4, privileges: [] }) : [service]) as Build007Input["services"];
    expect(describeError(thrown(() => build007({ ...B007, services })))).toEqual({ type: "RangeError", message });
  });
  it("build007 with an unknown service type → TypeError", () => {
    const services = [{ type: 11, privileges: [] }] as unknown as Build007Input["services"];
    expect(describeError(thrown(() => build007({ ...B007, services })))).toEqual({ type: "TypeError", message: "unknown 007 service type 11" });
  });
  it("buildRtmToken 006 with RTM2 permissions → TypeError", () => {
    expect(describeError(thrown(() => buildRtmToken({ ...RTM, version: "006", permissions: [] })))).toEqual({ type: "TypeError", message: "RTM2 permissions need a 007 token" });
  });
  it("buildRtmToken 006: issueTs + 24 h past u32 → RangeError on ts", () => {
    expect(describeError(thrown(() => buildRtmToken({ ...RTM, version: "006", issueTs: 2 ** 32 - 86_400 })))).toEqual(U32_MSG("ts"));
  });
  it("buildRtmToken 006: issueTs + expire past u32 → RangeError on the privilege", () => {
    expect(describeError(thrown(() => buildRtmToken({ ...RTM, version: "006", issueTs: 1000, expireSeconds: 2 ** 32 - 1000 })))).toEqual(U32_MSG("privilege 1000"));
  });
  it("buildRtmToken 007: negative lifetime → RangeError", () => {
    expect(describeError(thrown(() => buildRtmToken({ ...RTM, expireSeconds: -1 })))).toEqual(U32_MSG("expire"));
  });
});

describe("builders: output", () => {
  it("buildRtmToken reproduces the worked examples (docs/tokens.md, \"Worked examples\")", () => {
    expect(buildRtmToken({ ...RTM, version: "006", expireSeconds: 3600, salt: 12_345_678 })).toBe(VECTOR_006_RTM_BASIC);
    expect(buildRtmToken({ ...RTM, version: "007", expireSeconds: 3600, salt: 7_654_321 })).toBe(VECTOR_007_RTM_BASIC);
    expect(
      build006({ appId: APP_ID, certificate: CERT, channel: "alice", uid: "", salt: 12_345_678, ts: ISSUE_TS + 86_400, privileges: [[1000, ISSUE_TS + 3600]] }),
    ).toBe(VECTOR_006_RTM_BASIC);
  });

  it("buildRtmToken 006: token expiry issueTs + 24 h, privilege issueTs + lifetime, 0 = no privilege limit", () => {
    expect(TOKEN_006_LIFETIME_SECONDS).toBe(86_400);
    const table: ReadonlyArray<readonly [number, number | null, number]> = [
      [3600, ISSUE_TS + 3600, ISSUE_TS + 3600],
      [0, null, ISSUE_TS + 86_400],
      [200_000, ISSUE_TS + 200_000, ISSUE_TS + 86_400],
    ];
    for (const [expireSeconds, privilegeExpiresAt, expiresAt] of table) {
      const r = verifyToken({ token: buildRtmToken({ ...RTM, version: "006", expireSeconds }), appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS });
      expect([expireSeconds, r.valid && { tokenExpiresAt: r.token.tokenExpiresAt, privilegeExpiresAt: r.token.privilegeExpiresAt, expiresAt: r.token.expiresAt }]).toEqual([
        expireSeconds,
        { tokenExpiresAt: ISSUE_TS + 86_400, privilegeExpiresAt, expiresAt },
      ]);
    }
  });

  it("build007 sorts services by type, keeping insertion order within a type", () => {
    const services: Build007Input["services"] = [
      rtmService("first", 10),
      { type: SERVICE_TYPE.rtc, privileges: [[1, 0]], channelName: "room", uid: "42" },
      rtmService("second", 20),
    ];
    const p = parseToken(build007({ ...B007, services }));
    expect(p.ok && p.token.version === "007" && p.token.services.map((s) => [s.type, s.privileges])).toEqual([
      [1, [[1, 0]]],
      [2, [[1, 10]]],
      [2, [[1, 20]]],
    ]);
  });

  it("build007 handles payloads well past the writer's initial buffer (regression: ByteWriter growth)", () => {
    const uid = "🦄".repeat(16); // 64 bytes
    const token = build007({
      ...B007,
      services: [{ type: SERVICE_TYPE.rtc, privileges: [[1, 0], [2, 0], [3, 0], [4, 0]], channelName: "c".repeat(300), uid }, rtmService(uid, 3600)],
    });
    const r = verifyToken({ token, appId: APP_ID, uid, certificates: certs(CERT), now: ISSUE_TS });
    expect(r.valid && r.token.expiresAt).toBe(ISSUE_TS + 3600);
  });

  it("build007 writes every service type as docs/token-services.md, \"The service types\", lays it out (read back by the parser)", () => {
    const permissions = [
      { resourceType: 0, permissions: [{ permType: 0, resources: ["message-a", "message-b"] }, { permType: 1, resources: [] }] },
      { resourceType: 4, permissions: [{ permType: 0, resources: ["*"] }] },
    ];
    const services: Build007Input["services"] = [
      { type: 10, privileges: [] },
      { type: 9, privileges: [[1, 5]] },
      { type: 8, privileges: [[1, 600]], userId: "alice", permissions },
      { type: 7, privileges: [[1, 0], [3, 9]], roomUuid: "room", userUuid: "user", role: -2 },
      { type: 6, privileges: [[2, 0]], channelName: "cdn", account: "viewer" },
      { type: 5, privileges: [[1, 1]], userId: "chatter" },
      { type: 4, privileges: [[1, 0]] },
      { type: 3, privileges: [[1, 0]], channelName: "live", account: "0" },
      rtmService("alice", 600),
      { type: 1, privileges: [[4, 0], [1, 0]], channelName: "room", uid: "" },
    ];
    const p = parseToken(build007({ ...B007, services }));
    if (!p.ok || p.token.version !== "007") throw new Error("not a 007 token");
    const plain = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString("utf8") : v);
    expect(p.token.services.map((s) => [s.type, s.privileges, Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, plain(v)]))])).toEqual([
      [1, [[1, 0], [4, 0]], { channelName: "room", uid: "" }],
      [2, [[1, 600]], { userId: "alice" }],
      [3, [[1, 0]], { channelName: "live", account: "0" }],
      [4, [[1, 0]], {}],
      [5, [[1, 1]], { userId: "chatter" }],
      [6, [[2, 0]], { channelName: "cdn", account: "viewer" }],
      [7, [[1, 0], [3, 9]], { roomUuid: "room", userUuid: "user", role: -2 }],
      [8, [[1, 600]], { userId: "alice", permissions }],
      [9, [[1, 5]], {}],
      [10, [], {}],
    ]);
    expect([p.token.unknownServiceType, p.token.trailingBytes]).toEqual([null, 0]);
  });

  it("buildRtmToken with permissions builds the single type-8 service of buildTokenWithPermissions, and it logs in", () => {
    const permissions = [{ resourceType: 1, permissions: [{ permType: 1, resources: ["stream-a"] }] }];
    const token = buildRtmToken({ ...RTM, permissions });
    expect(token).toBe(build007({ ...B007, services: [rtm2Service("alice", permissions, 3600)] }));
    const p = parseToken(token);
    expect(p.ok && p.token.version === "007" && p.token.services.map((s) => [s.type, s.privileges, s.fields["permissions"]])).toEqual([[8, [[1, 3600]], permissions]]);
    const r = verifyToken({ token, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS + 3600 });
    expect(r.valid && [r.token.expiresAt, r.token.privilegeExpiresAt]).toEqual([ISSUE_TS + 3600, ISSUE_TS + 3600]);
    const empty = buildRtmToken({ ...RTM, permissions: [] });
    expect(verifyToken({ token: empty, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: ISSUE_TS }).valid).toBe(true);
  });

  it("is a pure function of its input (no clock, no RNG)", () => {
    expect(build007(B007)).toBe(build007(B007));
    expect(build006(B006)).toBe(build006(B006));
  });
});
