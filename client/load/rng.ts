/**
 * A small seeded pseudo-random generator (mulberry32), so `--seed S` repeats a run's draws
 * (credential kinds, invalid picks, salts). Not for secrets.
 */

/** Returns uniform floats in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A per-worker seed derived from the run's seed (distinct streams for distinct workers). */
export function workerSeed(seed: number, worker: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(worker + 1, 0xc2b2ae35)) >>> 0;
}
