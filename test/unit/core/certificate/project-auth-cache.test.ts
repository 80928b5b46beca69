import { describe, expect, it } from "vitest";
import type { CertificateRecord, ProjectRecord } from "../../../../core/certificate/project.js";
import { projectAuth } from "../../../../core/certificate/project.js";
import { ProjectAuthCache } from "../../../../core/certificate/project-auth-cache.js";

const T0 = 1_718_000_000;
const APP = "0123456789abcdef0123456789abcdef";
const APP2 = "fedcba9876543210fedcba9876543210";
const C1 = "11111111111111111111111111111111";
const C2 = "22222222222222222222222222222222";

const cert = (value: string, activeAt: number): CertificateRecord => ({ value, enabledAt: activeAt, activeAt });
function project(over: Partial<ProjectRecord> = {}): ProjectRecord {
  return { appId: APP, noCertificate: true, primary: null, secondary: null, enabled: true, version: 1, ...over };
}

describe("ProjectAuthCache", () => {
  it("returns the same view object for the same version while nothing activates", () => {
    const cache = new ProjectAuthCache();
    const p = project({ primary: cert(C1, T0 - 10) });
    const a = cache.view(p, T0);
    const b = cache.view(p, T0 + 1000);
    expect(b).toBe(a);
    expect(a).toEqual(projectAuth(p, T0));
  });

  it("recomputes when the record's version changes", () => {
    const cache = new ProjectAuthCache();
    const v1 = project({ version: 1 });
    const a = cache.view(v1, T0);
    expect(a.mode).toBe("appid");
    const v2 = project({ version: 2, primary: cert(C1, T0 - 1) });
    const b = cache.view(v2, T0);
    expect(b).not.toBe(a);
    expect(b).toEqual({ appId: APP, mode: "either", certificates: [{ slot: "primary", value: C1 }] });
  });

  it("a pending certificate activates on time although the version did not change", () => {
    const cache = new ProjectAuthCache();
    const p = project({ noCertificate: false, primary: cert(C1, T0 - 100), secondary: cert(C2, T0 + 60) });
    const before = cache.view(p, T0);
    expect(before.certificates.map((c) => c.slot)).toEqual(["primary"]);
    expect(cache.view(p, T0 + 59)).toBe(before);
    const after = cache.view(p, T0 + 60);
    expect(after.certificates.map((c) => c.slot)).toEqual(["primary", "secondary"]);
    expect(cache.view(p, T0 + 61)).toBe(after);
  });

  it("a clock that moves back before an activation recomputes", () => {
    const cache = new ProjectAuthCache();
    const p = project({ primary: cert(C1, T0) });
    expect(cache.view(p, T0).mode).toBe("either");
    expect(cache.view(p, T0 - 1)).toEqual({ appId: APP, mode: "appid", certificates: [] });
    expect(cache.view(p, T0).mode).toBe("either");
  });

  it("invalidate forgets one project; clear forgets all", () => {
    const cache = new ProjectAuthCache();
    const p1 = project();
    const p2 = project({ appId: APP2 });
    const a1 = cache.view(p1, T0);
    const a2 = cache.view(p2, T0);
    cache.invalidate(APP);
    expect(cache.view(p1, T0)).not.toBe(a1);
    expect(cache.view(p2, T0)).toBe(a2);
    cache.clear();
    expect(cache.view(p2, T0)).not.toBe(a2);
    expect(cache.view(p2, T0)).toEqual(a2);
  });

  it("keeps projects apart", () => {
    const cache = new ProjectAuthCache();
    const p1 = project({ primary: cert(C1, T0 - 1) });
    const p2 = project({ appId: APP2 });
    expect(cache.view(p1, T0).appId).toBe(APP);
    expect(cache.view(p2, T0).appId).toBe(APP2);
    expect(cache.view(p2, T0).mode).toBe("appid");
  });

  it("always agrees with projectAuth over a time sweep", () => {
    const cache = new ProjectAuthCache();
    const p = project({ primary: cert(C1, T0 + 5), secondary: cert(C2, T0 + 10) });
    for (const now of [T0, T0 + 4, T0 + 5, T0 + 9, T0 + 10, T0 + 11, T0 + 3, T0 + 12, T0 - 100]) {
      expect(cache.view(p, now), `at +${now - T0}`).toEqual(projectAuth(p, now));
    }
  });
});
