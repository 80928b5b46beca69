import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ActiveCertificate } from "../../core/certificate/active-certificate.js";
import { verifyToken } from "../../core/token/index.js";

interface Vector {
  name: string;
  appId: string;
  appCertificate: string;
  activeCertificates: string[];
  uid: string;
  now: number;
  token: string;
  version: "006" | "007" | null;
  expect: { valid: boolean; reason?: string };
}

const vectors = JSON.parse(readFileSync(new URL("./vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];

function certs(v: Vector): ActiveCertificate[] {
  return v.activeCertificates.map((value, i) => ({ slot: i === 0 ? "primary" : "secondary", value }));
}

describe("shared token vectors (docs/tokens.md, \"Test vectors\")", () => {
  it("holds all 38 cases with unique names", () => {
    expect(vectors).toHaveLength(38);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(38);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const r = verifyToken({ token: v.token, appId: v.appId, uid: v.uid, certificates: certs(v), now: v.now });
    expect({ valid: r.valid, reason: r.valid ? undefined : r.reason }).toEqual({ valid: v.expect.valid, reason: v.expect.reason });
    if (r.valid) expect(r.token.version).toBe(v.version);
  });

  it("reports which certificate slot matched, without exposing it in the token view", () => {
    const v = vectors.find((x) => x.name === "007-rtm-secondary-certificate-active");
    if (!v) throw new Error("vector missing");
    const r = verifyToken({ token: v.token, appId: v.appId, uid: v.uid, certificates: certs(v), now: v.now });
    expect(r.valid && r.slot).toBe("secondary");
    expect(JSON.stringify(r.valid ? r.token : null)).not.toContain(v.activeCertificates[1]);
  });
});
