/** The admin JWT time rules as a pure function: lifetime and future iat, with and without iat. */
import { describe, expect, it } from "vitest";
import { adminJwtTimeRefusal, type AdminJwtTimeRefusal } from "../../../../gateway/admin/admin-jwt-claims.js";

const NOW = 1_750_000_000;
const RULES = { maxLifetimeSeconds: 3600, clockSkewSeconds: 30 };

describe("adminJwtTimeRefusal", () => {
  const cases: Array<[string, { exp?: number; iat?: number }, AdminJwtTimeRefusal | null]> = [
    ["exp - iat = the bound", { iat: NOW, exp: NOW + 3600 }, null],
    ["exp - iat = the bound + 1", { iat: NOW, exp: NOW + 3601 }, "lifetime_too_long"],
    ["an old iat: the lifetime is still exp - iat", { iat: NOW - 7200, exp: NOW + 10 }, "lifetime_too_long"],
    ["iat = now + skew", { iat: NOW + 30, exp: NOW + 60 }, null],
    ["iat = now + skew + 1", { iat: NOW + 31, exp: NOW + 60 }, "iat_in_future"],
    ["no iat: exp - now = bound + skew", { exp: NOW + 3630 }, null],
    ["no iat: exp - now = bound + skew + 1", { exp: NOW + 3631 }, "lifetime_too_long"],
    ["no exp", { iat: NOW }, "exp_missing"],
  ];
  it.each(cases)("%s → %s", (_label, claims, expected) => {
    expect(adminJwtTimeRefusal(claims, RULES, NOW)).toBe(expected);
  });

  it("skew 0: iat one second ahead is refused", () => {
    expect(adminJwtTimeRefusal({ iat: NOW + 1, exp: NOW + 60 }, { ...RULES, clockSkewSeconds: 0 }, NOW)).toBe("iat_in_future");
  });
});
