/**
 * The CertificateStore contract (core/certificate/certificate-store.ts), as a suite every
 * implementation runs: `certificateStoreContract("memory", factory)`.
 *
 * `factory.create()` gives a fresh, empty, started store; `peer()` (when the implementation is
 * shared between processes) gives another instance over the same backend and namespace;
 * `cleanup()` closes everything and removes what the test stored. An implementation without a
 * peer says why in `factory.noPeer`: its "shared between instances" cases are skipped with that
 * reason, printed once when the file is collected and attached to each skipped case.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import type { CertificateRecord, ProjectRecord } from "../../core/certificate/project.js";
import {
  createProject,
  deleteNoCertificate,
  deleteSecondary,
  enablePrimary,
  enableSecondary,
  LifecycleError,
  swapCertificates,
} from "../../core/certificate/project-lifecycle.js";

export interface StoreFixture {
  readonly store: CertificateStore;
  /** Another instance over the same backend (only for shared implementations). */
  readonly peer?: () => Promise<CertificateStore>;
  cleanup(): Promise<void>;
}

export interface StoreFactory {
  create(): Promise<StoreFixture>;
  /** Why `create()` gives no `peer` (the peer cases are then skipped with this reason); unset when it gives one. */
  readonly noPeer?: string;
}

const T0 = 1_718_000_000;
const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C = "cccccccccccccccccccccccccccccccc";
const CERT1 = "11111111111111111111111111111111";
const CERT2 = "22222222222222222222222222222222";
/** How long a change may take to reach a peer. */
const PROPAGATION = { timeout: 2_000, interval: 10 };

const cert = (value: string, activeAt: number, enabledAt = activeAt): CertificateRecord => ({ value, enabledAt, activeAt });
function record(appId: string, over: Partial<ProjectRecord> = {}): ProjectRecord {
  return { appId, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0, ...over };
}
/** Increments a counter kept in the primary certificate's enabledAt (creating the project at 1). */
const increment = (appId: string) => (cur: ProjectRecord | undefined): ProjectRecord =>
  cur === undefined ? record(appId, { primary: cert(CERT1, 0, 1) }) : { ...cur, primary: cert(CERT1, 0, (cur.primary?.enabledAt ?? 0) + 1) };

export function certificateStoreContract(name: string, factory: StoreFactory): void {
  describe(`CertificateStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let s: CertificateStore;

    beforeEach(async () => {
      fx = await factory.create();
      s = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe("reads", () => {
      it("an empty store knows nothing", () => {
        expect(s.list()).toEqual([]);
        expect(s.get(A)).toBeUndefined();
        expect(s.auth(A, T0)).toBeUndefined();
      });

      it("unknown → undefined; disabled → no auth view but still stored", async () => {
        await s.update(A, () => record(A, { primary: cert(CERT1, T0 - 10) }));
        expect(s.auth(B, T0)).toBeUndefined();
        expect(s.get(B)).toBeUndefined();
        expect(s.auth(A, T0)).toBeDefined();
        await s.update(A, (cur) => ({ ...cur!, enabled: false }));
        expect(s.auth(A, T0)).toBeUndefined();
        expect(s.get(A)).toMatchObject({ appId: A, enabled: false });
        await s.update(A, (cur) => ({ ...cur!, enabled: true }));
        expect(s.auth(A, T0)?.mode).toBe("either");
      });

      it("the auth view follows the mode and the activation times", async () => {
        await s.update(A, () => record(A));
        expect(s.auth(A, T0)).toEqual({ appId: A, mode: "appid", certificates: [] });
        await s.update(A, (cur) => ({ ...cur!, primary: cert(CERT1, T0) }));
        expect(s.auth(A, T0 - 1)).toEqual({ appId: A, mode: "appid", certificates: [] });
        expect(s.auth(A, T0)).toEqual({ appId: A, mode: "either", certificates: [{ slot: "primary", value: CERT1 }] });
        await s.update(A, (cur) => ({ ...cur!, secondary: cert(CERT2, T0 + 100) }));
        expect(s.auth(A, T0 + 99)?.certificates).toEqual([{ slot: "primary", value: CERT1 }]);
        expect(s.auth(A, T0 + 100)?.certificates).toEqual([
          { slot: "primary", value: CERT1 },
          { slot: "secondary", value: CERT2 },
        ]);
        await s.update(A, (cur) => ({ ...cur!, noCertificate: false }));
        expect(s.auth(A, T0)?.mode).toBe("token");
        // A token project before its primary activates: token mode, nothing verifies yet.
        await s.update(B, () => record(B, { noCertificate: false, primary: cert(CERT1, T0 + 5) }));
        expect(s.auth(B, T0)).toEqual({ appId: B, mode: "token", certificates: [] });
      });

      it("list is in App ID order", async () => {
        await s.update(C, () => record(C));
        await s.update(A, () => record(A));
        await s.update(B, () => record(B));
        expect(s.list().map((p) => p.appId)).toEqual([A, B, C]);
      });
    });

    describe("update", () => {
      it("stores the result with the next version and returns the stored record", async () => {
        const created = await s.update(A, () => record(A, { version: 42 }));
        expect(created).toEqual(record(A, { version: 1 }));
        expect(s.get(A)).toEqual(created);
        const second = await s.update(A, (cur) => ({ ...cur!, primary: cert(CERT1, T0) }));
        expect(second).toEqual(record(A, { primary: cert(CERT1, T0), version: 2 }));
        expect(s.get(A)).toEqual(second);
        // The version a caller puts in is ignored: the store counts.
        expect((await s.update(A, (cur) => ({ ...cur!, version: 0 })))?.version).toBe(3);
      });

      it("gives fn the current record (undefined when absent)", async () => {
        const seen: Array<ProjectRecord | undefined> = [];
        await s.update(A, (cur) => (seen.push(cur), record(A)));
        await s.update(A, (cur) => (seen.push(cur), { ...cur!, noCertificate: false }));
        expect(seen[0]).toBeUndefined();
        expect(seen[1]).toEqual(record(A, { version: 1 }));
      });

      it("returning the current record is a no-op: no version bump, no change event", async () => {
        await s.update(A, () => record(A));
        const heard: string[] = [];
        s.onChange((id) => heard.push(id));
        expect((await s.update(A, (cur) => cur))?.version).toBe(1);
        expect(await s.update(B, () => undefined)).toBeUndefined();
        expect(s.get(B)).toBeUndefined();
        expect(heard).toEqual([]);
      });

      it("refuses to change the App ID", async () => {
        await expect(s.update(A, () => record(B))).rejects.toThrow(TypeError);
        expect(s.get(A)).toBeUndefined();
        expect(s.get(B)).toBeUndefined();
      });

      it("an fn that throws changes nothing", async () => {
        await s.update(A, () => record(A));
        await expect(
          s.update(A, () => {
            throw new Error("refused");
          }),
        ).rejects.toThrow("refused");
        expect(s.get(A)?.version).toBe(1);
      });

      it("returning undefined deletes the project", async () => {
        await s.update(A, () => record(A, { primary: cert(CERT1, T0 - 1) }));
        const heard: string[] = [];
        s.onChange((id) => heard.push(id));
        expect(await s.update(A, () => undefined)).toBeUndefined();
        expect(s.get(A)).toBeUndefined();
        expect(s.auth(A, T0)).toBeUndefined();
        expect(s.list()).toEqual([]);
        expect(heard).toEqual([A]);
        // It can be created again (versions restart or continue: both order correctly).
        const again = await s.update(A, (cur) => (cur === undefined ? record(A) : cur));
        expect(again?.version).toBeGreaterThanOrEqual(1);
        expect(s.get(A)).toEqual(again);
      });

      it("50 concurrent updates of one project: none is lost", async () => {
        const results = await Promise.all(Array.from({ length: 50 }, () => s.update(A, increment(A))));
        expect(s.get(A)?.version).toBe(50);
        expect(s.get(A)?.primary?.enabledAt).toBe(50);
        expect(new Set(results.map((r) => r?.version)).size).toBe(50);
      });
    });

    describe("onChange and clear", () => {
      it("onChange hears every change with the App ID, and can unsubscribe", async () => {
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

      it("clear removes every project and announces each", async () => {
        await s.update(A, () => record(A, { primary: cert(CERT1, T0 - 1) }));
        await s.update(B, () => record(B));
        expect(s.auth(A, T0)).toBeDefined();
        const heard: string[] = [];
        s.onChange((id) => heard.push(id));
        await s.clear();
        expect(s.list()).toEqual([]);
        expect(s.auth(A, T0)).toBeUndefined();
        expect(s.get(B)).toBeUndefined();
        expect(heard.sort()).toEqual([A, B]);
        // Usable afterwards.
        expect((await s.update(A, (cur) => cur ?? record(A)))?.appId).toBe(A);
      });
    });

    describe("the lifecycle (project-lifecycle.ts) through update", () => {
      it("create, enable primary and secondary, swap, delete secondary, delete 'No certificate'", async () => {
        const created = await s.update(A, (cur) => createProject(cur, A, "appid", null));
        expect(created).toMatchObject({ appId: A, noCertificate: true, primary: null, version: 1 });
        expect(s.auth(A, T0)?.mode).toBe("appid");

        await s.update(A, (cur) => enablePrimary(cur, A, { value: CERT1, now: T0, delaySeconds: 60 }));
        expect(s.auth(A, T0)?.mode).toBe("appid"); // pending
        expect(s.auth(A, T0 + 60)).toEqual({ appId: A, mode: "either", certificates: [{ slot: "primary", value: CERT1 }] });

        await s.update(A, (cur) => enableSecondary(cur, A, { value: CERT2, now: T0 + 60, delaySeconds: 0 }));
        await s.update(A, (cur) => swapCertificates(cur, A));
        expect(s.auth(A, T0 + 60)?.certificates).toEqual([
          { slot: "primary", value: CERT2 },
          { slot: "secondary", value: CERT1 },
        ]);
        await s.update(A, (cur) => deleteSecondary(cur, A));
        await s.update(A, (cur) => deleteNoCertificate(cur, A, T0 + 60));
        expect(s.auth(A, T0 + 60)).toEqual({ appId: A, mode: "token", certificates: [{ slot: "primary", value: CERT2 }] });
        expect(s.get(A)?.version).toBe(6);
      });

      it("a refused step rejects with its LifecycleError and changes nothing", async () => {
        await s.update(A, (cur) => createProject(cur, A, "token", { value: CERT1, now: T0, delaySeconds: 0 }));
        const before = s.get(A);
        await expect(s.update(A, (cur) => createProject(cur, A, "appid", null))).rejects.toMatchObject({ code: "project_exists" });
        await expect(s.update(A, (cur) => deleteNoCertificate(cur, A, T0))).rejects.toBeInstanceOf(LifecycleError);
        await expect(s.update(B, (cur) => enablePrimary(cur, B, { value: CERT1, now: T0, delaySeconds: 0 }))).rejects.toMatchObject({ code: "project_not_found" });
        expect(s.get(A)).toEqual(before);
        expect(s.get(B)).toBeUndefined();
      });
    });

    describe("shared between instances (peer)", () => {
      const skipped: string[] = [];
      const peerTest = (title: string, body: (peer: CertificateStore) => Promise<void>): void => {
        if (factory.noPeer !== undefined) skipped.push(title);
        it(title, async (ctx) => {
          if (fx.peer === undefined) {
            // A skip must say why: a factory that silently gives no peer fails here instead.
            expect(factory.noPeer, `the ${name} fixture gives no peer and its factory does not say why (StoreFactory.noPeer)`).toBeTypeOf("string");
            ctx.skip(`no peer: ${factory.noPeer}`);
            return;
          }
          await body(await fx.peer());
        });
      };

      peerTest("a peer started later loads what is there", async (peer) => {
        // (the factory's peer() starts a new instance each call)
        expect(peer.list()).toEqual([]);
        await s.update(A, () => record(A, { primary: cert(CERT1, T0) }));
        const late = await fx.peer!();
        expect(late.get(A)).toEqual(s.get(A));
        expect(late.auth(A, T0)?.certificates).toEqual([{ slot: "primary", value: CERT1 }]);
      });

      peerTest("a change on one instance reaches the other and fires its onChange", async (peer) => {
        const heard: string[] = [];
        peer.onChange((id) => heard.push(id));
        const stored = await s.update(A, () => record(A, { primary: cert(CERT1, T0) }));
        await vi.waitFor(() => expect(peer.get(A)).toEqual(stored), PROPAGATION);
        expect(peer.auth(A, T0)).toEqual(s.auth(A, T0));
        expect(heard).toContain(A);

        const back = await peer.update(A, (cur) => ({ ...cur!, enabled: false }));
        await vi.waitFor(() => expect(s.get(A)).toEqual(back), PROPAGATION);
        expect(s.auth(A, T0)).toBeUndefined();
      });

      peerTest("deletion and clear reach the other instance", async (peer) => {
        await s.update(A, () => record(A));
        await s.update(B, () => record(B));
        await vi.waitFor(() => expect(peer.list().map((p) => p.appId)).toEqual([A, B]), PROPAGATION);
        await peer.update(A, () => undefined);
        await vi.waitFor(() => expect(s.get(A)).toBeUndefined(), PROPAGATION);
        // Re-created after a delete: still ordered after it everywhere.
        const again = await s.update(A, () => record(A, { enabled: false }));
        await vi.waitFor(() => expect(peer.get(A)).toEqual(again), PROPAGATION);
        const heard: string[] = [];
        s.onChange((id) => heard.push(id));
        await peer.clear();
        await vi.waitFor(() => expect(s.list()).toEqual([]), PROPAGATION);
        expect(heard.sort()).toEqual([A, B]);
      });

      peerTest("50 concurrent updates split across two instances: none is lost", async (peer) => {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? s : peer).update(A, increment(A))));
        expect(new Set(results.map((r) => r?.version)).size).toBe(50);
        for (const store of [s, peer]) {
          await vi.waitFor(() => expect(store.get(A)?.version).toBe(50), PROPAGATION);
          expect(store.get(A)?.primary?.enabledAt).toBe(50);
        }
      });
      if (skipped.length > 0) console.warn(`[contract ${name}] skipping ${skipped.length} "shared between instances" cases (${skipped.join("; ")}): ${factory.noPeer}`);
    });
  });
}
