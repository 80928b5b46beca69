import { describe, expect, it } from "vitest";
import { AUTH_MODES, authMode, isActive, projectAuth, type CertificateRecord, type ProjectRecord } from "../../../../core/certificate/project.js";

const T0 = 1_718_000_000;
const APP = "0123456789abcdef0123456789abcdef";
const C1 = "11111111111111111111111111111111";
const C2 = "22222222222222222222222222222222";

const cert = (value: string, activeAt: number, enabledAt = activeAt): CertificateRecord => ({ value, enabledAt, activeAt });

function project(over: Partial<ProjectRecord> = {}): ProjectRecord {
  return { appId: APP, noCertificate: true, primary: null, secondary: null, enabled: true, version: 1, ...over };
}

describe("isActive", () => {
  it("null is never active", () => expect(isActive(null, T0)).toBe(false));
  it("active from activeAt on, pending before", () => {
    const c = cert(C1, T0);
    expect(isActive(c, T0 - 1)).toBe(false);
    expect(isActive(c, T0)).toBe(true);
    expect(isActive(c, T0 + 1)).toBe(true);
  });
});

describe("authMode (docs/agora-behaviour.md, \"Auth modes\")", () => {
  it("lists the three modes", () => expect([...AUTH_MODES]).toEqual(["appid", "either", "token"]));

  const CASES: ReadonlyArray<readonly [string, Partial<ProjectRecord>, number, string]> = [
    ["no certificate at all → appid", {}, T0, "appid"],
    ["active primary + No certificate kept → either", { primary: cert(C1, T0 - 10) }, T0, "either"],
    ["active secondary only + No certificate kept → either", { secondary: cert(C2, T0 - 10) }, T0, "either"],
    ["No certificate deleted → token", { noCertificate: false, primary: cert(C1, T0 - 10) }, T0, "token"],
    ["No certificate deleted, primary and secondary → token", { noCertificate: false, primary: cert(C1, T0 - 10), secondary: cert(C2, T0 - 5) }, T0, "token"],
    ["pending primary (activeAt in the future) → still appid", { primary: cert(C1, T0 + 3600, T0) }, T0, "appid"],
    ["pending primary, one second before activeAt → appid", { primary: cert(C1, T0 + 3600, T0) }, T0 + 3599, "appid"],
    ["pending primary, at activeAt → either", { primary: cert(C1, T0 + 3600, T0) }, T0 + 3600, "either"],
    ["pending secondary only → appid", { secondary: cert(C2, T0 + 1) }, T0, "appid"],
    ["pending primary, active secondary → either", { primary: cert(C1, T0 + 1), secondary: cert(C2, T0 - 1) }, T0, "either"],
  ];
  it.each(CASES)("%s", (_label, over, now, mode) => {
    expect(authMode(project(over), now)).toBe(mode);
  });
});

describe("projectAuth", () => {
  it("App-ID-only project: no certificates", () => {
    expect(projectAuth(project(), T0)).toEqual({ appId: APP, mode: "appid", certificates: [] });
  });

  it("lists the active certificates primary first", () => {
    const p = project({ noCertificate: false, primary: cert(C1, T0 - 10), secondary: cert(C2, T0 - 20) });
    expect(projectAuth(p, T0)).toEqual({
      appId: APP,
      mode: "token",
      certificates: [
        { slot: "primary", value: C1 },
        { slot: "secondary", value: C2 },
      ],
    });
  });

  it("a pending certificate is not listed until activeAt", () => {
    const p = project({ noCertificate: false, primary: cert(C1, T0 - 10), secondary: cert(C2, T0 + 60, T0) });
    expect(projectAuth(p, T0).certificates).toEqual([{ slot: "primary", value: C1 }]);
    expect(projectAuth(p, T0 + 59).certificates).toEqual([{ slot: "primary", value: C1 }]);
    expect(projectAuth(p, T0 + 60).certificates).toEqual([
      { slot: "primary", value: C1 },
      { slot: "secondary", value: C2 },
    ]);
  });

  it("a pending primary with an active secondary lists only the secondary", () => {
    const p = project({ primary: cert(C1, T0 + 60), secondary: cert(C2, T0 - 60) });
    expect(projectAuth(p, T0)).toEqual({ appId: APP, mode: "either", certificates: [{ slot: "secondary", value: C2 }] });
  });

  it("token mode with only a pending certificate: token only, nothing verifies yet", () => {
    const p = project({ noCertificate: false, primary: cert(C1, T0 + 60) });
    expect(projectAuth(p, T0)).toEqual({ appId: APP, mode: "token", certificates: [] });
  });
});
