import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mac006Raw, macInput006 } from "../../../../../core/token/v006/mac.js";

const APP_ID = "970ca35de60c44645bbae8a215061b33";
const CERT = "5cfd2fd1755d40ecb72977518be15d3b";
const M = Buffer.from([0x4e, 0x61, 0xbc, 0x00, 0x00, 0xeb, 0x67, 0x66, 0x01, 0x00, 0xe8, 0x03, 0x90, 0xa7, 0x66, 0x66]);

describe("macInput006", () => {
  // ASCII, Latin-1, CJK, an astral character, lone surrogates at either end, and the empty uid.
  const uids = ["user-1234", "", "ü", "ユーザー", "a😀b", "\ud800", "x\udc00", "\u007f\u0080"];

  it.each(uids)("is appId || UTF-8(uid) || m, and gives the MAC mac006Raw gives, for uid %j", (uid) => {
    const input = macInput006(APP_ID, uid, M);
    expect(input.equals(Buffer.concat([Buffer.from(APP_ID + uid, "utf8"), M]))).toBe(true);
    const mac = createHmac("sha256", CERT).update(input).digest();
    expect(mac.equals(mac006Raw(CERT, APP_ID, uid, "", M))).toBe(true);
  });

  it("copies m: the input does not change when the token's bytes are reused", () => {
    const m = Buffer.from(M);
    const input = macInput006(APP_ID, "ann", m);
    m.fill(0);
    expect(input.subarray(APP_ID.length + 3).equals(M)).toBe(true);
  });
});
