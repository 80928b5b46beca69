/**
 * The login call window of a connection (docs/fidelity.md, "Rate windows"), whose ring is made only
 * at the second login: for any sequence of calls it answers exactly as a ring made at the first call,
 * with that first call's time in whole ms (the connection keeps it rounded down, a small integer:
 * docs/robustness.md, "Memory per session").
 */
import { expect, it } from "vitest";
import { seededRandom as prng } from "../../../../client/load/rng.js";
import { newRing, ringHit } from "../../../../core/session/rate-window.js";
import { Connection } from "../../../../gateway/sessions/connection.js";

const transport = { remoteAddress: "127.0.0.1", send: () => undefined, close: () => undefined };


it("answers every login call as an eagerly made ring does, for any limit, spacing and timing, fractions of a ms included", () => {
  const rand = prng(13);
  const mismatches: string[] = [];
  for (let trial = 0; trial < 2000; trial++) {
    const limit = 1 + Math.floor(rand() * 4);
    const conn = new Connection(transport, limit);
    const ring = newRing(limit);
    let t = rand() * 1e6;
    const calls = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < calls; i++) {
      t += [0, 1, 50, 400, 999, 999.5, 1000, 1000.25, 1001, 3000][Math.floor(rand() * 10)] as number;
      const spacing = rand() < 0.5 ? 0 : [100, 500, 1000][Math.floor(rand() * 3)] as number;
      const got = conn.hit("login", t, spacing);
      const want = ringHit(ring, i === 0 ? Math.floor(t) : t, spacing);
      if (got !== want) mismatches.push(`trial ${trial} call ${i}: limit ${limit}, t ${t}, spacing ${spacing}: ${got} vs ${want}`);
    }
  }
  expect(mismatches).toEqual([]);
});

it("keeps the other methods' windows apart from login's", () => {
  const conn = new Connection(transport, 1);
  expect(conn.hit("login", 0)).toBe(true);
  expect(conn.hit("logout", 10)).toBe(true);
  expect(conn.hit("login", 20)).toBe(false);
  expect(conn.hit("renewToken", 30)).toBe(true);
  expect(conn.hit("login", 1020)).toBe(true);
});
