import { describe, expect, it } from "vitest";
import { parse006 } from "../../../../../core/token/v006/parse.js";
import { verifyToken } from "../../../../../core/token/index.js";
import { APP_ID, CERT, ISSUE_TS, bytes16, certs, content006, craft006, m006, map16_32, u32 } from "../token-fixtures.js";

const VECTOR_006_RTM_BASIC =
  "0061de22a3147335f512f2ea7f21b1cc47aIABfofyosiwZ/iZ09s0xZlztrEXTyongEJazlIJJGMitHke8jicAAAAAEABOYbwAAOtnZgEA6AOQp2Zm";

function verify(token: string, uid = "alice", now = ISSUE_TS) {
  return verifyToken({ token, appId: APP_ID, uid, certificates: certs(CERT), now });
}

describe("parse006 (docs/tokens.md, \"The 006 format\")", () => {
  it("the fixture reproduces the worked example 006-rtm-basic (§2.9)", () => {
    expect(craft006()).toBe(VECTOR_006_RTM_BASIC);
  });

  it("decodes every field of the worked example", () => {
    const r = parse006(VECTOR_006_RTM_BASIC);
    if (!r.ok) throw new Error(r.detail);
    const { signature, message, ...fields } = r.token;
    expect(fields).toEqual({
      version: "006",
      appId: APP_ID,
      crcChannel: 0x278ebc47,
      crcUid: 0,
      salt: 12_345_678,
      ts: 1_718_086_400,
      privileges: [[1000, 1_718_003_600]],
    });
    expect(signature.toString("hex").slice(0, 8)).toBe("5fa1fca8");
    expect(signature.length).toBe(32);
    expect(message.toString("hex")).toBe("4e61bc00" + "00eb6766" + "0100" + "e803" + "90a76666");
  });

  const MALFORMED: ReadonlyArray<readonly [string, string, string]> = [
    ["App ID with a non-hex character", `006${APP_ID.slice(0, 31)}g${content006().toString("base64")}`, "006 App ID is not 32 hex characters"],
    ["App ID of 31 hex characters (body shifted)", `006${APP_ID.slice(0, 31)}${content006().toString("base64")}`, "006 App ID is not 32 hex characters"],
    ["App ID with a space", `006 ${APP_ID.slice(1)}${content006().toString("base64")}`, "006 App ID is not 32 hex characters"],
    ["App ID with a non-ASCII digit (Arabic-Indic 1)", `006${APP_ID.slice(0, 31)}\u0661${content006().toString("base64")}`, "006 App ID is not 32 hex characters"],
    ["App ID only (no body)", `006${APP_ID}`, "006 content is truncated"],
    ["token shorter than the App ID", "0061de22a31", "006 App ID is not 32 hex characters"],
    ["URL-safe body", `006${APP_ID}${content006().toString("base64url")}`, "006 body is not canonical base64"],
    ["body with whitespace", `006${APP_ID} ${content006().toString("base64")}`, "006 body is not canonical base64"],
    ["trailing bytes after m", craft006({ contentExtra: Buffer.from([0]) }), "006 content has trailing bytes"],
    ["trailing bytes inside m (MACed)", craft006({ mExtra: Buffer.from([0, 0]) }), "006 message has trailing bytes"],
    ["signature of 31 bytes", craft006({ signatureLength: 31 }), "006 signature is not 32 bytes"],
    ["signature of 33 bytes", craft006({ signatureLength: 33 }), "006 signature is not 32 bytes"],
    ["signature of 0 bytes", craft006({ signatureLength: 0 }), "006 signature is not 32 bytes"],
    ["content cut inside the CRCs", `006${APP_ID}${content006().subarray(0, 36).toString("base64")}`, "006 content is truncated"],
    ["content cut inside m", `006${APP_ID}${content006().subarray(0, 59).toString("base64")}`, "006 content is truncated"],
    ["m too short for salt and ts", craft006({ rawM: Buffer.alloc(7) }), "006 message is truncated"],
    ["m without the privilege count", craft006({ rawM: Buffer.concat([u32(1), u32(2)]) }), "006 message is truncated"],
    ["m whose privilege count passes its end", craft006({ rawM: Buffer.concat([u32(1), u32(2), map16_32([[1000, 5]]).subarray(0, 7)]) }), "006 message is truncated"],
    [
      "m with a hostile privilege count",
      craft006({ rawM: Buffer.concat([u32(1), u32(2), Buffer.from([0xff, 0xff]), Buffer.alloc(12)]) }),
      "006 message is truncated",
    ],
    [
      "m length prefix passing the content end",
      `006${APP_ID}${Buffer.concat([bytes16(Buffer.alloc(32)), u32(0), u32(0), Buffer.from([0xff, 0x00]), m006()]).toString("base64")}`,
      "006 content is truncated",
    ],
  ];

  it.each(MALFORMED)("%s → malformed", (_name, token, detail) => {
    expect(parse006(token)).toEqual({ ok: false, detail });
    const r = verify(token);
    expect(r.valid ? "valid" : { reason: r.reason, detail: r.detail, parsed: r.parsed }).toEqual({ reason: "malformed", detail, parsed: null });
  });

  it("keeps the App ID's case as written (the comparison is the verifier's job)", () => {
    const upper = APP_ID.toUpperCase();
    const r = parse006(craft006({ appId: upper }));
    expect(r.ok && r.token.appId).toBe(upper);
    const v = verify(craft006({ appId: upper }));
    expect(v.valid ? "valid" : v.reason).toBe("app_id_mismatch");
  });

  it("keeps several privileges and duplicates in token order; the last value of a key wins", () => {
    const token = craft006({ ts: ISSUE_TS + 86_400, privileges: [[1, 0], [1000, ISSUE_TS - 10], [1000, 0]] });
    const r = parse006(token);
    expect(r.ok && r.token.privileges).toEqual([
      [1, 0],
      [1000, ISSUE_TS - 10],
      [1000, 0],
    ]);
    const v = verify(token);
    expect(v.valid && v.token.privilegeExpiresAt).toBe(null);
    const reversed = verify(craft006({ privileges: [[1000, 0], [1000, ISSUE_TS - 10]] }));
    expect(reversed.valid ? "valid" : reversed.reason).toBe("privilege_expired");
  });

  it("ignores the CRC fields (unauthenticated): the account in the uid slot verifies the same", () => {
    // channel "" + uid "alice" MACs the same bytes as channel "alice" + uid "".
    const swapped = craft006({ channel: "", uid: "alice" });
    const p = parse006(swapped);
    expect(p.ok && [p.token.crcChannel, p.token.crcUid]).toEqual([0, 0x278ebc47]);
    expect(verify(swapped).valid).toBe(true);
  });

  it("does not care about privilege key order (the MAC covers m as written)", () => {
    const unsorted = craft006({ privileges: [[1000, ISSUE_TS + 60], [1, 0]] });
    const v = verify(unsorted);
    expect(v.valid && v.token.privilegeExpiresAt).toBe(ISSUE_TS + 60);
  });
});
