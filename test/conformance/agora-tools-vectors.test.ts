/**
 * Agora's own vectors (vectors/agora-tools-official.json, from the AgoraIO/Tools test suites in
 * seven languages; provenance in vectors/SOURCE.md), through the library:
 *
 * - every case gives its `expect` (verdict and reason);
 * - every decodable case decodes to the fields the official test built it from, every service type
 *   (1–8) included, and describes with Agora's names;
 * - every case with build inputs is rebuilt from them by our builders: 006 byte for byte; 007 to
 *   the same inflated payload, and byte for byte only where Node's zlib happens to produce the
 *   same deflate stream as the zlib that made the vector (docs/token-services.md, "Agora's own
 *   vectors").
 */
import { crc32, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { build006, build007, describeToken, parseToken, verifyToken, type Described } from "../../core/token/index.js";
import { OFFICIAL_VECTORS, rebuildable, serviceSpec, type OfficialVector } from "./official-vectors.js";

function verdict(v: OfficialVector): { valid: boolean; reason?: string } {
  const r = verifyToken({ token: v.token, appId: v.appId, uid: v.uid, certificates: [{ slot: "primary", value: v.appCertificate }], now: v.now });
  return r.valid ? { valid: true } : { valid: false, reason: r.reason };
}

/** Our rebuild of a case from its inputs. */
function rebuild(v: OfficialVector): string {
  if (v.version === "006") {
    return build006({
      appId: v.appId,
      certificate: v.appCertificate,
      channel: v.channel as string,
      uid: v.tokenUid as string,
      salt: v.salt as number,
      ts: v.ts as number,
      privileges: (v.privileges ?? []).map((p) => [p.id, p.expiresAt] as const),
    });
  }
  return build007({
    appId: v.appId,
    certificate: v.appCertificate,
    issueTs: v.issueTs as number,
    expire: v.expire as number,
    salt: v.salt as number,
    services: (v.services ?? []).map(serviceSpec),
  });
}

const inflated = (token007: string): Buffer => inflateSync(Buffer.from(token007.slice(3), "base64"));

/**
 * The 007 strings Node's zlib (default level) reproduces byte for byte. Every other 007 case was
 * compressed by another zlib: Go's compress/flate, .NET's, a C++ build with another zlib or
 * level (stored or fastest blocks, `eAF…` / `eJyd…`), even C zlib of another version; those are
 * compared after inflating.
 */
const BYTE_IDENTICAL_007 = new Set([
  "007eJxTYBBbsMMnKq7p9Hf/HcIX5kce9b518kCiQgSr5Zrp4X1Tu6UUGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMoAwBIL4CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiVwMRhYWRsYmhkbmxgDCaiTj",
  "007eJxTYLhzZP08Lxa1Pg57+TcXb/3cZ3wi4V6kbpbOog0G2dOYk20UGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMoAwBIL4CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiQwMADacImo=",
  "007eJxTYLi93GuuUHrO9Fr71KVJKqfDby8RezlVfGLMO77DIl79U40UGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMjAwsDEwMzAyMIL5CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiVwMRhYWRsYmhkbmxiB9TETqY2BgZmCC2kKsHj6G4pKi1MRc3cTk5PzSvBI2Mt3JRpI72Uh2Jw9DWnJKHsyVAElvX1c=",
]);

describe("Agora's own vectors (AgoraIO/Tools test suites)", () => {
  it("holds 112 cases with unique names, each naming its source file, language and tests", () => {
    expect(OFFICIAL_VECTORS).toHaveLength(112);
    expect(new Set(OFFICIAL_VECTORS.map((v) => v.name)).size).toBe(112);
    for (const v of OFFICIAL_VECTORS) {
      expect([v.name, v.source]).toEqual([v.name, expect.stringMatching(/^AgoraIO\/Tools DynamicKey\/AgoraDynamicKey\/\S+$/)]);
      expect(v.tests.length).toBeGreaterThan(0);
    }
    expect(new Set(OFFICIAL_VECTORS.map((v) => v.language))).toEqual(new Set(["cpp", "csharp", "dart", "deno", "go", "kotlin", "lua"]));
    // Every service type the builders define up to RTM2 appears in some case.
    expect(new Set(OFFICIAL_VECTORS.flatMap((v) => (v.services ?? []).map((s) => s.type)))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it.each(OFFICIAL_VECTORS.map((v) => [v.name, v] as const))("%s gives its expect", (_name, v) => {
    expect(verdict(v)).toEqual(v.expect);
  });

  it("every derived case checks the token of a case of its own: another login, clock, certificate or App ID", () => {
    const originals = new Map(OFFICIAL_VECTORS.filter((v) => v.derived === undefined).map((v) => [v.name, v]));
    const derived = OFFICIAL_VECTORS.filter((v) => v.derived !== undefined);
    expect(derived).toHaveLength(44);
    for (const v of derived) {
      const base = originals.get(v.name.slice(0, v.name.lastIndexOf(":derived-")));
      expect([v.name, base?.token]).toEqual([v.name, v.token]);
    }
  });

  describe("decodes to the inputs the official test built it from", () => {
    // Derived cases share an original's token, and their App ID or certificate is the gateway's.
    const cases = OFFICIAL_VECTORS.filter((v) => rebuildable(v) && v.derived === undefined).map((v) => [v.name, v] as const);

    it.each(cases)("%s", (_name, v) => {
      const p = parseToken(v.token);
      if (!p.ok) throw new Error(`${v.name}: ${p.detail}`);
      const d = describeToken(p.token);
      if (v.version === "006") {
        const privileges = (v.privileges ?? []).map((x) => ({ id: x.id, value: x.expiresAt }));
        expect({ appId: d["appId"], crcChannel: d["crcChannel"], crcUid: d["crcUid"], salt: d["salt"], ts: d["ts"], privileges: (d["privileges"] as Array<Record<string, Described>>).map((x) => ({ id: x["id"], value: x["value"] })) }).toEqual({
          appId: v.appId,
          crcChannel: crc32(v.channel as string),
          crcUid: crc32(v.tokenUid as string),
          salt: v.salt,
          ts: v.ts,
          privileges,
        });
        return;
      }
      expect({ appId: d["appId"], issueTs: d["issueTs"], expire: d["expire"], salt: d["salt"], unknownServiceType: d["unknownServiceType"], trailingBytes: d["trailingBytes"] }).toEqual({
        appId: v.appId,
        issueTs: v.issueTs,
        expire: v.expire,
        salt: v.salt,
        unknownServiceType: null,
        trailingBytes: 0,
      });
      const services = d["services"] as Array<Record<string, Described>>;
      // Each decoded service: the vector's fields, privileges as id → value, RTM2 grants without
      // the names and notation that describe adds.
      const decoded = services.map((s) => {
        const { privileges, permissions, permissionSpec, ...rest } = s;
        const out: Record<string, unknown> = {
          ...rest,
          privileges: Object.fromEntries((privileges as Array<Record<string, Described>>).map((x) => [String(x["id"]), x["value"]])),
        };
        if (permissions !== undefined) {
          out["permissions"] = (permissions as Array<Record<string, Described>>).map((g) => ({
            resourceType: g["resourceType"],
            permissions: (g["permissions"] as Array<Record<string, Described>>).map((x) => ({ permType: x["permType"], resources: x["resources"] })),
          }));
          expect(typeof permissionSpec).toBe("string");
        }
        return out;
      });
      expect(decoded).toEqual(v.services);
    });

    it("names RTM2 resources and permissions as Agora does, and gives the --permissions notation", () => {
      const v = OFFICIAL_VECTORS.find((x) => x.kind === "streaming+fcdn+rtm2") as OfficialVector;
      const p = parseToken(v.token);
      const services = p.ok ? (describeToken(p.token)["services"] as Described[]) : [];
      expect(services[2]).toEqual({
        type: 8,
        name: "rtm2",
        privileges: [{ id: 1, name: "login", value: 600, expiresAt: 1_111_711 }],
        userId: "test_user",
        permissions: [
          { resourceType: 0, resourceName: "messageChannels", permissions: [{ permType: 0, permissionName: "read", resources: ["message-a", "message-b"] }] },
          { resourceType: 1, resourceName: "streamChannels", permissions: [{ permType: 1, permissionName: "write", resources: ["stream-a"] }] },
          { resourceType: 4, resourceName: "users", permissions: [{ permType: 0, permissionName: "read", resources: ["user-a"] }] },
        ],
        permissionSpec: "message:read=message-a,message-b;stream:write=stream-a;user:read=user-a",
      });
    });
  });

  describe("rebuilt from its inputs", () => {
    const cases = OFFICIAL_VECTORS.filter((v) => rebuildable(v) && v.derived === undefined);

    it.each(cases.filter((v) => v.version === "006").map((v) => [v.name, v] as const))("006 %s: byte for byte", (_name, v) => {
      expect(rebuild(v)).toBe(v.token);
    });

    it.each(cases.filter((v) => v.version === "007").map((v) => [v.name, v] as const))("007 %s: the same payload once inflated", (_name, v) => {
      const ours = rebuild(v);
      expect(inflated(ours).toString("hex")).toBe(inflated(v.token).toString("hex"));
      expect(ours === v.token).toBe(BYTE_IDENTICAL_007.has(v.token));
      // Ours verifies as theirs does.
      expect(verdict({ ...v, token: ours })).toEqual(v.expect);
    });

    it("reproduces some 007 strings byte for byte, and most only after inflating (another zlib made them)", () => {
      const tokens = new Set(cases.filter((v) => v.version === "007").map((v) => v.token));
      const headers = new Set([...tokens].map((t) => Buffer.from(t.slice(3), "base64").subarray(0, 2).toString("hex")));
      expect({ distinct: tokens.size, byteIdentical: [...tokens].filter((t) => BYTE_IDENTICAL_007.has(t)).length, headers }).toEqual({
        distinct: 26,
        byteIdentical: 3,
        // 78 9c: the default level; 78 01: a stored or fastest stream.
        headers: new Set(["789c", "7801"]),
      });
    });
  });
});
