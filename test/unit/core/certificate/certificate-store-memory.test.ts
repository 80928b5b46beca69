import { describe, expect, it, vi } from "vitest";
import { MemoryCertificateStore } from "../../../../core/certificate/certificate-store-memory.js";
import type { CertificateRecord, ProjectRecord } from "../../../../core/certificate/project.js";

const T0 = 1_718_000_000;
const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C1 = "11111111111111111111111111111111";

const cert = (value: string, activeAt: number): CertificateRecord => ({ value, enabledAt: activeAt, activeAt });
function record(appId: string, over: Partial<ProjectRecord> = {}): ProjectRecord {
  return { appId, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0, ...over };
}

describe("MemoryCertificateStore", () => {
  it("starts empty", () => {
    const s = new MemoryCertificateStore();
    expect(s.list()).toEqual([]);
    expect(s.get(A)).toBeUndefined();
    expect(s.auth(A, T0)).toBeUndefined();
  });

  it("update creates a project with version 1 and later updates increment it", async () => {
    const s = new MemoryCertificateStore();
    const created = await s.update(A, () => record(A, { version: 42 }));
    expect(created).toMatchObject({ appId: A, version: 1 });
    expect(s.get(A)?.version).toBe(1);
    const second = await s.update(A, (cur) => (cur === undefined ? undefined : { ...cur, primary: cert(C1, T0) }));
    expect(second).toMatchObject({ version: 2, primary: { value: C1 } });
    // The version a caller puts in is ignored: the store counts.
    const third = await s.update(A, (cur) => ({ ...cur!, version: 0 }));
    expect(third?.version).toBe(3);
  });

  it("update receives the current record (undefined when absent)", async () => {
    const s = new MemoryCertificateStore();
    const seen: Array<ProjectRecord | undefined> = [];
    await s.update(A, (cur) => {
      seen.push(cur);
      return record(A);
    });
    await s.update(A, (cur) => {
      seen.push(cur);
      return cur === undefined ? undefined : { ...cur, noCertificate: false };
    });
    expect(seen[0]).toBeUndefined();
    expect(seen[1]).toMatchObject({ appId: A, version: 1, noCertificate: true });
  });

  it("returning the same record is a no-op: no version bump, no change event", async () => {
    const s = new MemoryCertificateStore();
    await s.update(A, () => record(A));
    const heard: string[] = [];
    s.onChange((id) => heard.push(id));
    const r = await s.update(A, (cur) => cur);
    expect(r?.version).toBe(1);
    expect(heard).toEqual([]);
    // Absent stays absent: no event either.
    const none = await s.update(B, () => undefined);
    expect(none).toBeUndefined();
    expect(heard).toEqual([]);
  });

  it("an update may not change the App ID", async () => {
    const s = new MemoryCertificateStore();
    await expect(s.update(A, () => record(B))).rejects.toThrow(TypeError);
    expect(s.get(A)).toBeUndefined();
    expect(s.get(B)).toBeUndefined();
  });

  it("returning undefined deletes the project", async () => {
    const s = new MemoryCertificateStore();
    await s.update(A, () => record(A));
    const heard: string[] = [];
    s.onChange((id) => heard.push(id));
    expect(await s.update(A, () => undefined)).toBeUndefined();
    expect(s.get(A)).toBeUndefined();
    expect(s.auth(A, T0)).toBeUndefined();
    expect(heard).toEqual([A]);
    // A re-created project starts at version 1 again.
    expect((await s.update(A, () => record(A)))?.version).toBe(1);
  });

  it("onChange hears every change with the App ID, and can unsubscribe", async () => {
    const s = new MemoryCertificateStore();
    const listener = vi.fn();
    const off = s.onChange(listener);
    await s.update(A, () => record(A));
    await s.update(B, () => record(B));
    await s.update(A, (cur) => ({ ...cur!, enabled: false }));
    expect(listener.mock.calls).toEqual([[A], [B], [A]]);
    off();
    await s.update(B, (cur) => ({ ...cur!, enabled: false }));
    expect(listener).toHaveBeenCalledTimes(3);
  });

  it("list is in App ID order", async () => {
    const s = new MemoryCertificateStore();
    await s.update(B, () => record(B));
    await s.update(A, () => record(A));
    expect(s.list().map((p) => p.appId)).toEqual([A, B]);
  });

  it("auth: the project's view at now, refreshed after an update", async () => {
    const s = new MemoryCertificateStore();
    await s.update(A, () => record(A));
    expect(s.auth(A, T0)).toEqual({ appId: A, mode: "appid", certificates: [] });
    await s.update(A, (cur) => ({ ...cur!, primary: cert(C1, T0) }));
    expect(s.auth(A, T0)).toEqual({ appId: A, mode: "either", certificates: [{ slot: "primary", value: C1 }] });
    expect(s.auth(A, T0 - 1)).toEqual({ appId: A, mode: "appid", certificates: [] });
    await s.update(A, (cur) => ({ ...cur!, noCertificate: false }));
    expect(s.auth(A, T0)?.mode).toBe("token");
  });

  it("a disabled project has no auth view (unknown_app_id), but is still stored", async () => {
    const s = new MemoryCertificateStore();
    await s.update(A, () => record(A, { primary: cert(C1, T0 - 1) }));
    expect(s.auth(A, T0)).toBeDefined();
    await s.update(A, (cur) => ({ ...cur!, enabled: false }));
    expect(s.auth(A, T0)).toBeUndefined();
    expect(s.get(A)).toMatchObject({ appId: A, enabled: false });
    await s.update(A, (cur) => ({ ...cur!, enabled: true }));
    expect(s.auth(A, T0)?.mode).toBe("either");
  });

  it("clear removes every project and announces each", async () => {
    const s = new MemoryCertificateStore();
    await s.update(A, () => record(A));
    await s.update(B, () => record(B));
    expect(s.auth(A, T0)).toBeDefined();
    const heard: string[] = [];
    s.onChange((id) => heard.push(id));
    await s.clear();
    expect(s.list()).toEqual([]);
    expect(s.auth(A, T0)).toBeUndefined();
    expect(s.auth(B, T0)).toBeUndefined();
    expect(heard.sort()).toEqual([A, B]);
  });

  it("close drops the listeners", async () => {
    const s = new MemoryCertificateStore();
    const listener = vi.fn();
    s.onChange(listener);
    await s.close();
    await s.update(A, () => record(A));
    expect(listener).not.toHaveBeenCalled();
  });
});
