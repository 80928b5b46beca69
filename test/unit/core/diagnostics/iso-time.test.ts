import { describe, expect, it } from "vitest";
import { isoUtc } from "../../../../core/diagnostics/iso-time.js";

/** The reference: what Date prints (tests may read Date; core may not). */
const viaDate = (s: number): string => new Date(s * 1000).toISOString().replace(".000Z", "Z");

describe("isoUtc (core's Date-free ISO-8601)", () => {
  it.each([0, 1, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 1_718_003_600, 4_102_444_800 /* 2100-01-01 */, 4_294_967_295, -1, -86_401])("%i agrees with Date", (s) => {
    expect(isoUtc(s)).toBe(viaDate(s));
  });

  it("agrees with Date on 2000 spread instants from 1900 to 2200 (leap years and month ends included)", () => {
    for (let i = 0; i < 2000; i++) {
      const s = -2_208_988_800 + Math.floor(i * 4_733_481.7);
      expect(isoUtc(s)).toBe(viaDate(s));
    }
  });

  it("drops a fraction; a non-finite value prints as itself", () => {
    expect(isoUtc(1_718_003_600.9)).toBe("2024-06-10T07:13:20Z");
    expect(isoUtc(Number.NaN)).toBe("NaN");
  });
});
