/**
 * The memory behind `deleted_certificate` (docs/hints.md): slot history by journal position, the
 * deletions seen, the bounds, and that no certificate value is ever kept.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CertificateHistory, MAX_DELETED, MAX_SNAPSHOTS } from "../../../../core/diagnostics/certificate-history.js";

const A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C = "cccccccccccccccccccccccccccccccc";
const APP = "0123456789abcdef0123456789abcdef";
const T = 1_718_000_000;

/** Every string reachable from `o` (own enumerable and private fields alike). */
function strings(o: unknown, seen = new Set<unknown>()): string[] {
  if (typeof o === "string") return [o];
  if (o === null || typeof o !== "object" || seen.has(o)) return [];
  seen.add(o);
  const values = o instanceof Map ? [...o.keys(), ...o.values()] : Object.values(o as Record<string, unknown>);
  return values.flatMap((v) => strings(v, seen));
}

describe("CertificateHistory", () => {
  it("refuses a salt under 16 bytes", () => {
    expect(() => new CertificateHistory(new Uint8Array(15))).toThrow(RangeError);
  });

  it("fingerprints are keyed by the salt: 32 hex characters, different per process salt", () => {
    const one = new CertificateHistory(randomBytes(32));
    const two = new CertificateHistory(randomBytes(32));
    expect(one.fingerprint(A)).toMatch(/^[0-9a-f]{32}$/);
    expect(one.fingerprint(A)).toBe(one.fingerprint(A));
    expect(one.fingerprint(A)).not.toBe(two.fingerprint(A));
    expect(one.fingerprint(A)).not.toContain(A.slice(0, 8));
  });

  it("rotation (secondary, swap, delete): each decision's slot resolves to the certificate it used then", () => {
    const h = new CertificateHistory(randomBytes(32));
    h.record(APP, { primary: A, secondary: null }, 0, T); // decisions 1..10 see A as primary
    h.record(APP, { primary: A, secondary: B }, 10, T + 10); // 11..20: A, B
    h.record(APP, { primary: B, secondary: A }, 20, T + 20); // 21..30: swapped
    expect(h.hasDeleted(APP)).toBe(false);
    const fa = h.fingerprint(A);
    const fb = h.fingerprint(B);
    expect(h.record(APP, { primary: B, secondary: null }, 30, T + 30)).toEqual([fa]); // A deleted after decision 30
    expect(h.hasDeleted(APP)).toBe(true);
    expect([h.fingerprintAt(APP, "primary", 5), h.fingerprintAt(APP, "secondary", 15), h.fingerprintAt(APP, "secondary", 25), h.fingerprintAt(APP, "primary", 25)]).toEqual([fa, fb, fa, fb]);
    expect(h.fingerprintAt(APP, "secondary", 31)).toBe(null);
    expect(h.fingerprintAt(APP, "primary", 0)).toBe(null); // before anything was recorded
    // The evidence: tokens accepted through A (decisions 5 and 25), none through B.
    h.addEvidence(APP, fa, 5, "token-a1");
    h.addEvidence(APP, fa, 25, "token-a2");
    h.addEvidence(APP, fa, 31, "token-late"); // after the deletion: cannot have used A, ignored
    h.addEvidence(APP, fb, 15, "token-b"); // B was not deleted: nothing to attach to
    expect([h.deletedFor(APP, "token-a1"), h.deletedFor(APP, "token-a2")]).toEqual([{ deletedAt: T + 30 }, { deletedAt: T + 30 }]);
    expect([h.deletedFor(APP, "token-late"), h.deletedFor(APP, "token-b"), h.deletedFor("ffffffffffffffffffffffffffffffff", "token-a1")]).toEqual([null, null, null]);
  });

  it("a change that keeps the values (activation, mode) adds nothing; a removed project is forgotten", () => {
    const h = new CertificateHistory(randomBytes(32));
    h.record(APP, { primary: A, secondary: null }, 0, T);
    h.record(APP, { primary: A, secondary: null }, 5, T);
    expect(h.fingerprintAt(APP, "primary", 1)).toBe(h.fingerprint(A));
    h.record(APP, undefined, 6, T);
    expect([h.size, h.fingerprintAt(APP, "primary", 7), h.hasDeleted(APP)]).toEqual([0, null, false]);
  });

  it("prune forgets what the journal no longer holds: snapshots before its oldest entry but the one in force, and deletions no entry precedes", () => {
    const h = new CertificateHistory(randomBytes(32));
    h.record(APP, { primary: A, secondary: B }, 0, T);
    h.record(APP, { primary: A, secondary: null }, 10, T + 1);
    h.record(APP, { primary: A, secondary: C }, 20, T + 2);
    // B was deleted after decision 10: while entry 10 is held, it may be the evidence.
    h.prune(APP, 10);
    expect(h.hasDeleted(APP)).toBe(true);
    expect(h.fingerprintAt(APP, "secondary", 10)).toBe(h.fingerprint(B));
    h.prune(APP, 15); // the journal's oldest entry is 15: the snapshot of seq 10 is in force
    expect(h.hasDeleted(APP)).toBe(false); // no held entry precedes the deletion
    expect(h.fingerprintAt(APP, "secondary", 15)).toBe(null);
    expect(h.fingerprintAt(APP, "secondary", 21)).toBe(h.fingerprint(C));
    expect(h.fingerprintAt(APP, "secondary", 5)).toBe(null); // that far back is gone
  });

  it("bounds: at most MAX_SNAPSHOTS snapshots and MAX_DELETED deletions per project, oldest dropped", () => {
    const h = new CertificateHistory(randomBytes(32));
    const cert = (i: number) => i.toString(16).padStart(32, "0");
    h.record(APP, { primary: A, secondary: null }, 0, T);
    for (let i = 1; i <= 200; i++) h.record(APP, { primary: A, secondary: cert(i) }, i, T + i);
    const internal = (h as unknown as { projects: Map<string, { snapshots: unknown[]; deleted: Array<{ fingerprint: string }> }> }).projects.get(APP);
    expect(internal?.snapshots.length).toBe(MAX_SNAPSHOTS);
    expect(internal?.deleted.length).toBe(MAX_DELETED);
    // The newest deletions are kept: certificate 199 was deleted when 200 came.
    expect(internal?.deleted.at(-1)?.fingerprint).toBe(h.fingerprint(cert(199)));
  });

  it("a journal that restarted (seq went back) voids every position and deletion", () => {
    const h = new CertificateHistory(randomBytes(32));
    h.record(APP, { primary: A, secondary: B }, 0, T);
    h.record(APP, { primary: A, secondary: null }, 50, T);
    h.addEvidence(APP, h.fingerprint(B), 20, "token-b");
    expect([h.hasDeleted(APP), h.deletedFor(APP, "token-b")]).toEqual([true, { deletedAt: T }]);
    h.noticeReset(3);
    expect([h.hasDeleted(APP), h.deletedFor(APP, "token-b")]).toEqual([false, null]);
    expect(h.fingerprintAt(APP, "primary", 1)).toBe(h.fingerprint(A));
  });

  it("keeps no certificate value anywhere, only fingerprints", () => {
    const h = new CertificateHistory(randomBytes(32));
    h.record(APP, { primary: A, secondary: B }, 0, T);
    h.record(APP, { primary: B, secondary: C }, 1, T);
    h.record(APP, { primary: B, secondary: null }, 2, T);
    const held = strings(h);
    expect(held.length).toBeGreaterThan(0);
    for (const value of [A, B, C]) expect(held.some((s) => s.includes(value))).toBe(false);
  });
});
