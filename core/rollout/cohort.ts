/**
 * Cohort membership of a rollout stage (docs/rollouts.md, "Cohorts"). A uid's bucket is a stable
 * hash of the App ID and the uid, so every gateway, every process and every run puts a uid in the
 * same bucket, and a uid inside a 10 % cohort stays inside the 20 % one.
 */
import { compileUidPattern, type UidMatcher } from "../fault/uid-pattern.js";
import type { Cohort } from "./rollout.js";

/** Buckets of the stable hash: a percent cohort holds the buckets below `percent × 100`. */
export const COHORT_BUCKETS = 10_000;

/**
 * The uid's bucket in [0, {@link COHORT_BUCKETS}): FNV-1a (32 bits) over the UTF-16 code units of
 * `appId`, a NUL, then `uid`, reduced modulo the bucket count. Pure and allocation-free.
 */
export function uidBucket(appId: string, uid: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < appId.length; i++) {
    h ^= appId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h, 0x01000193); // the NUL separator (h ^= 0 is a no-op)
  for (let i = 0; i < uid.length; i++) {
    h ^= uid.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % COHORT_BUCKETS;
}

/** A compiled cohort: true when the project's `uid` is in it. */
export type CohortMatcher = (uid: string) => boolean;

/** Compiles a cohort of project `appId`. Throws on a uid pattern that does not compile (validate first). */
export function compileCohort(appId: string, c: Cohort): CohortMatcher {
  if ("percent" in c) {
    const below = Math.round(c.percent * (COHORT_BUCKETS / 100));
    if (below <= 0) return () => false;
    if (below >= COHORT_BUCKETS) return () => true;
    return (uid) => uidBucket(appId, uid) < below;
  }
  const m: UidMatcher = compileUidPattern(c.uidPattern);
  return m;
}
