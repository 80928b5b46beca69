/**
 * Population files (client/load/population.ts, docs/population.md): every field's error names the
 * file and the JSON path; shares are weights summing to 1; defaults; stable uids; the seeded
 * cohort draw; and each bug's token verifies to the reason the docs give.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bugReason,
  cohortUid,
  expectedReason,
  drawCohort,
  EXPIRED_BY_SECONDS,
  loadPopulation,
  MAX_COHORTS,
  mintCohortToken,
  parsePopulation,
  PopulationError,
  randomCertificate,
  wrongUidFor,
  type Cohort,
} from "../../../client/load/population.js";
import { seededRandom } from "../../../client/load/rng.js";
import { verifyToken } from "../../../core/token/index.js";

const ok = (cohorts: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ uidsPerCohort: 10, cohorts, ...extra });
const parse = (text: string) => parsePopulation(text, "population.json");
const token = (more: Record<string, unknown> = {}) => ({ name: "updated", share: 1, credential: "token", ...more });

describe("parsePopulation: errors name the file and the JSON path", () => {
  it.each<[string, string, string]>([
    ["not JSON", "{", "population.json: is not JSON"],
    ["an array", "[]", "population.json: must hold a JSON object"],
    ["an unknown top-level field", ok([token()], { cohort: [] }), "population.json: cohort is not a field of a population"],
    ["uidsPerCohort 0", JSON.stringify({ uidsPerCohort: 0, cohorts: [token()] }), "population.json: uidsPerCohort must be an integer in [1, 100000]"],
    ["uidsPerCohort too large", JSON.stringify({ uidsPerCohort: 100_001, cohorts: [token()] }), "population.json: uidsPerCohort must be an integer in [1, 100000]"],
    ["uidsPerCohort fractional", JSON.stringify({ uidsPerCohort: 1.5, cohorts: [token()] }), "population.json: uidsPerCohort must be an integer"],
    ["no cohorts", JSON.stringify({ uidsPerCohort: 1 }), "population.json: cohorts must be an array of cohorts"],
    ["an empty cohort list", ok([]), "population.json: cohorts must hold 1 to 32 cohorts (it holds 0)"],
    ["a cohort that is not an object", ok([token(), 3]), "population.json: cohorts[1] must be an object"],
    ["an unknown cohort field", ok([token({ shares: 1 })]), "population.json: cohorts[0].shares is not a field of a cohort"],
    ["a bad name", ok([token({ name: "has space" })]), "population.json: cohorts[0].name must be 1 to 32 characters"],
    ["a name starting with _", ok([token({ name: "_x" })]), "population.json: cohorts[0].name must be 1 to 32 characters"],
    ["a name of 33 characters", ok([token({ name: "a".repeat(33) })]), "population.json: cohorts[0].name must be 1 to 32 characters"],
    ["a duplicate name", ok([token({ share: 0.5 }), token({ share: 0.5 })]), 'population.json: cohorts[1].name "updated" names an earlier cohort too'],
    ["a share as a string", ok([token({ share: "1" })]), "population.json: cohorts[0].share must be a number in [0, 1]"],
    ["a share over 1", ok([token({ share: 1.5 })]), "population.json: cohorts[0].share must be a number in [0, 1]"],
    ["a negative share", ok([token({ share: 1 }), token({ name: "b", share: -0.1 })]), "population.json: cohorts[1].share must be a number in [0, 1]"],
    ["an unknown credential", ok([token({ credential: "jwt" })]), 'population.json: cohorts[0].credential must be one of "token", "appid"'],
    ["a token field on an appid cohort", ok([{ name: "legacy", share: 1, credential: "appid", tokenTtlSeconds: 60 }]), "population.json: cohorts[0].tokenTtlSeconds is for token cohorts"],
    ["a bug on an appid cohort", ok([{ name: "legacy", share: 1, credential: "appid", bug: "expired" }]), "population.json: cohorts[0].bug is for token cohorts"],
    ["an unknown version", ok([token({ tokenVersion: "008" })]), 'population.json: cohorts[0].tokenVersion must be one of "006", "007"'],
    ["a ttl of 0", ok([token({ tokenTtlSeconds: 0 })]), "population.json: cohorts[0].tokenTtlSeconds must be an integer in [1, 2592000]"],
    ["an unknown bug", ok([token({ bug: "slow" })]), 'population.json: cohorts[0].bug must be one of "expiry_as_timestamp", "wrong_uid", "expired", "wrong_certificate"'],
    ["expiry_as_timestamp on 006", ok([token({ tokenVersion: "006", bug: "expiry_as_timestamp" })]), "population.json: cohorts[0].bug expiry_as_timestamp needs tokenVersion 007"],
    ["a negative hold", ok([token({ holdSeconds: -1 })]), "population.json: cohorts[0].holdSeconds must be an integer in [0, 2592000]"],
    ["renewing as late as the ttl", ok([token({ tokenTtlSeconds: 60, renewBeforeExpirySeconds: 60 })]), "population.json: cohorts[0].renewBeforeExpirySeconds must be less than tokenTtlSeconds (60)"],
    ["renew 0", ok([token({ renewBeforeExpirySeconds: 0 })]), "population.json: cohorts[0].renewBeforeExpirySeconds must be an integer in [1, 2592000]"],
    ["an unknown reconnect", ok([token({ reconnect: "always" })]), 'population.json: cohorts[0].reconnect must be one of "next_step", "never"'],
    ["a uid pool of 0", ok([token({ uids: 0 })]), "population.json: cohorts[0].uids must be an integer in [1, 100000]"],
    ["a long description", ok([token({ description: "x".repeat(201) })]), "population.json: cohorts[0].description must be a string of at most 200 characters"],
    ["shares summing to 0.9", ok([token({ share: 0.8 }), token({ name: "b", share: 0.1 })]), "population.json: cohorts shares sum to 0.9, not 1"],
    ["shares summing to 1.2", ok([token({ share: 0.7 }), { name: "legacy", share: 0.5, credential: "appid" }]), "population.json: cohorts shares sum to 1.2, not 1"],
    ["every share 0", ok([token({ share: 0 })]), "population.json: cohorts need at least one cohort with a share above 0"],
  ])("%s", (_what, text, message) => {
    let thrown: unknown;
    try {
      parse(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PopulationError);
    expect((thrown as Error).message.startsWith(message), (thrown as Error).message).toBe(true);
  });

  it(`more than ${MAX_COHORTS} cohorts`, () => {
    const many = Array.from({ length: MAX_COHORTS + 1 }, (_, i) => token({ name: `c${i}`, share: i === 0 ? 1 : 0 }));
    expect(() => parse(ok(many))).toThrow("population.json: cohorts must hold 1 to 32 cohorts (it holds 33)");
  });

  it("a rollout plan given as a population is named as one, and where a population is described", () => {
    const plan = readFileSync(new URL("../../../docs/examples/rollout-token-only.json", import.meta.url), "utf8");
    expect(() => parsePopulation(plan, "plan.json")).toThrow("plan.json: is a rollout plan (it has stages), not a population, which has uidsPerCohort and cohorts (docs/population.md)");
  });

  it("loadPopulation names the path: a missing file, a bad one", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtm-pop-"));
    try {
      expect(() => loadPopulation(join(dir, "nope.json"))).toThrow(`${join(dir, "nope.json")}: no such file`);
      const bad = join(dir, "bad.json");
      writeFileSync(bad, ok([token({ share: 2 })]));
      expect(() => loadPopulation(bad)).toThrow(`${bad}: cohorts[0].share must be a number in [0, 1]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("parsePopulation: what a valid file means", () => {
  it("shares within 1e-6 of 1 pass; defaults fill every field", () => {
    const p = parse(
      JSON.stringify({
        uidsPerCohort: 50,
        cohorts: [
          { name: "a", share: 0.1, credential: "token" },
          { name: "b", share: 0.2, credential: "token" },
          { name: "c", share: 0.7000004, credential: "appid", uids: 3, holdSeconds: 30, reconnect: "never" },
        ],
      }),
    );
    expect(p.cohorts[0]).toEqual<Cohort>({
      name: "a",
      share: 0.1,
      credential: "token",
      tokenVersion: "007",
      tokenTtlSeconds: 3600,
      certificate: "primary",
      bug: null,
      holdSeconds: 0,
      renewBeforeExpirySeconds: null,
      reconnect: "next_step",
      uids: 50,
      description: null,
    });
    expect(p.cohorts[2]).toMatchObject({ credential: "appid", tokenVersion: null, tokenTtlSeconds: null, certificate: null, bug: null, uids: 3, holdSeconds: 30, reconnect: "never" });
    expect(parse(JSON.stringify({ cohorts: [token()] })).uidsPerCohort).toBe(1000);
  });

  it("the example files in docs/examples parse", () => {
    for (const f of ["population-migration.json", "population-ready.json"]) {
      const path = new URL(`../../../docs/examples/${f}`, import.meta.url);
      expect(() => parsePopulation(readFileSync(path, "utf8"), f), f).not.toThrow();
    }
    const ready = parsePopulation(readFileSync(new URL("../../../docs/examples/population-ready.json", import.meta.url), "utf8"), "ready");
    expect(ready.cohorts.filter((c) => c.credential === "appid" && c.share > 0)).toEqual([]);
  });

  it("uids are stable: cohort NAME owns NAME-0 … NAME-(N-1)", () => {
    expect(cohortUid({ name: "legacy" }, 0)).toBe("legacy-0");
    expect(cohortUid({ name: "legacy" }, 999)).toBe("legacy-999");
    expect(wrongUidFor("updated-3")).toBe("updated-3-other");
  });

  it("drawCohort: by cumulative share, zero shares never drawn, a seed repeats the draws", () => {
    const p = parse(ok([token({ share: 0.25 }), token({ name: "none", share: 0 }), { name: "legacy", share: 0.75, credential: "appid" }]));
    expect([drawCohort(p, 0), drawCohort(p, 0.2499), drawCohort(p, 0.25), drawCohort(p, 0.9999999), drawCohort(p, 1)]).toEqual([0, 0, 2, 2, 2]);
    const r = seededRandom(42);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[drawCohort(p, r())]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 20_000).toBeCloseTo(0.25, 1);
    const a = seededRandom(3);
    const b = seededRandom(3);
    expect(Array.from({ length: 50 }, () => drawCohort(p, a()))).toEqual(Array.from({ length: 50 }, () => drawCohort(p, b())));
  });
});

describe("mintCohortToken: each bug's token verifies to the documented reason", () => {
  const appId = "0123456789abcdef0123456789abcdef";
  const certificate = "fedcba9876543210fedcba9876543210";
  const wrongCertificate = randomCertificate(seededRandom(1), certificate);
  const now = 1_750_000_000;
  const verify = (cohort: Cohort, uid = "c-1") => {
    const t = mintCohortToken(cohort, { appId, certificate, wrongCertificate, uid, nowSeconds: now, salt: 7 });
    if (t === null) return "no token";
    const r = verifyToken({ token: t, appId, uid, certificates: [{ slot: "primary", value: certificate }], now, maxLifetimeSeconds: 86_400 });
    return r.valid ? { valid: true, expiresAt: r.token.expiresAt, version: r.token.version } : r.reason;
  };
  const cohort = (more: Record<string, unknown>) => parse(JSON.stringify({ cohorts: [{ name: "c", share: 1, credential: "token", ...more }] })).cohorts[0]!;

  it("expectedReason follows bugReason for the cohort's version", () => {
    expect([expectedReason(cohort({})), expectedReason(cohort({ bug: "wrong_uid" })), expectedReason(cohort({ bug: "wrong_uid", tokenVersion: "006" })), expectedReason(cohort({ bug: "expiry_as_timestamp" }))]).toEqual([
      null,
      "uid_mismatch",
      "invalid_signature",
      null,
    ]);
    expect(bugReason("expired", "006")).toBe("token_expired");
  });

  it.each([
    [{}, { valid: true, expiresAt: now + 3600, version: "007" }],
    [{ tokenVersion: "006", tokenTtlSeconds: 600 }, { valid: true, expiresAt: now + 600, version: "006" }],
    [{ bug: "expiry_as_timestamp" }, { valid: true, expiresAt: now + 86_400, version: "007" }],
    [{ bug: "wrong_uid" }, "uid_mismatch"],
    [{ bug: "wrong_uid", tokenVersion: "006" }, "invalid_signature"],
    [{ bug: "expired" }, "token_expired"],
    [{ bug: "expired", tokenTtlSeconds: 200_000 }, "token_expired"],
    [{ bug: "expired", tokenVersion: "006" }, "token_expired"],
    [{ bug: "wrong_certificate" }, "invalid_signature"],
    [{ bug: "wrong_certificate", tokenVersion: "006" }, "invalid_signature"],
  ])("%j → %j", (more, expected) => {
    expect(verify(cohort(more))).toEqual(expected);
  });

  it("certificate secondary: signed with the secondary (verified by it), refused once only the primary is left; an appid cohort may not name one", () => {
    const secondaryCertificate = "5ec0000000000000000000000000000d";
    const c = cohort({ certificate: "secondary" });
    const t = mintCohortToken(c, { appId, certificate, secondaryCertificate, wrongCertificate, uid: "c-1", nowSeconds: now, salt: 1 })!;
    const check = (certificates: Array<{ slot: "primary" | "secondary"; value: string }>) => verifyToken({ token: t, appId, uid: "c-1", certificates, now, maxLifetimeSeconds: 86_400 });
    expect(check([{ slot: "primary", value: certificate }, { slot: "secondary", value: secondaryCertificate }])).toMatchObject({ valid: true, slot: "secondary" });
    expect(check([{ slot: "primary", value: certificate }])).toMatchObject({ valid: false, reason: "invalid_signature" });
    expect(() => mintCohortToken(c, { appId, certificate, wrongCertificate, uid: "c-1", nowSeconds: now, salt: 1 })).toThrow("cohort c signs with the secondary certificate, and none was given");
    expect(() => parse(JSON.stringify({ cohorts: [{ name: "x", share: 1, credential: "appid", certificate: "secondary" }] }))).toThrow("population.json: cohorts[0].certificate is for token cohorts");
    expect(() => parse(JSON.stringify({ cohorts: [{ name: "x", share: 1, credential: "token", certificate: "tertiary" }] }))).toThrow('population.json: cohorts[0].certificate must be one of "primary", "secondary"');
  });

  it("expired: the stated expiry passed exactly EXPIRED_BY_SECONDS ago, so it still verifies a little earlier", () => {
    const c = cohort({ bug: "expired", tokenTtlSeconds: 600 });
    const t = mintCohortToken(c, { appId, certificate, wrongCertificate, uid: "c-1", nowSeconds: now, salt: 1 })!;
    const at = (when: number) => verifyToken({ token: t, appId, uid: "c-1", certificates: [{ slot: "primary", value: certificate }], now: when, maxLifetimeSeconds: 86_400 });
    expect(at(now - EXPIRED_BY_SECONDS).valid).toBe(true);
    expect(at(now - EXPIRED_BY_SECONDS + 1)).toMatchObject({ valid: false, reason: "token_expired" });
  });

  it("expiry_as_timestamp without the cap: the token says it lasts until about 2080", () => {
    const t = mintCohortToken(cohort({ bug: "expiry_as_timestamp" }), { appId, certificate, wrongCertificate, uid: "c-1", nowSeconds: now, salt: 1 })!;
    const r = verifyToken({ token: t, appId, uid: "c-1", certificates: [{ slot: "primary", value: certificate }], now });
    expect(r.valid && r.token.expiresAt).toBe(now + now + 3600);
  });

  it("an appid cohort has no token; the wrong certificate is never the project's", () => {
    expect(verify(parse(JSON.stringify({ cohorts: [{ name: "l", share: 1, credential: "appid" }] })).cohorts[0]!)).toBe("no token");
    expect(wrongCertificate).toMatch(/^[0-9a-f]{32}$/);
    expect(wrongCertificate).not.toBe(certificate);
    // A draw equal to the certificate is changed in its first digit.
    const fixed = () => 0.5;
    const same = randomCertificate(fixed, null);
    expect(randomCertificate(fixed, same)).not.toBe(same);
  });
});
