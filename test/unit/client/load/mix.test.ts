/** The credential mix of `rtm-auth load --mix` and the duration options (client/load/mix.ts, duration.ts). */
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../../client/load/duration.js";
import { drawKind, formatMix, LoadOptionError, parseMix } from "../../../../client/load/mix.js";
import { seededRandom } from "../../../../client/load/rng.js";

describe("parseMix", () => {
  it.each([
    ["token007:0.8,token006:0.1,appid:0.1", [{ kind: "token007", weight: 0.8 }, { kind: "token006", weight: 0.1 }, { kind: "appid", weight: 0.1 }]],
    ["token007", [{ kind: "token007", weight: 1 }]],
    ["appid:1", [{ kind: "appid", weight: 1 }]],
    [" token006:.5 , token007:0.5 ", [{ kind: "token006", weight: 0.5 }, { kind: "token007", weight: 0.5 }]],
    ["token007:0.7,token006:0.2,appid:0.1", [{ kind: "token007", weight: 0.7 }, { kind: "token006", weight: 0.2 }, { kind: "appid", weight: 0.1 }]],
    ["token007:1,appid:0", [{ kind: "token007", weight: 1 }, { kind: "appid", weight: 0 }]],
  ])("%s", (text, mix) => {
    expect(parseMix(text)).toEqual(mix);
  });

  it.each([
    ["token007:0.8,token006:0.1", /sum to 0.9, not 1/],
    ["token007:0.8,token006:0.8", /sum to 1.6, not 1/],
    ["token008:1", /unknown kind "token008"/],
    ["token007:1,token007:0", /token007 appears twice/],
    ["token007:1.5", /not kind:weight|between 0 and 1/],
    ["token007:-1", /not kind:weight/],
    ["token007:abc", /not kind:weight/],
    ["token007:0.5,,appid:0.5", /empty entry/],
    ["", /empty entry/],
    ["TOKEN007:1", /not kind:weight/],
  ])("%s is refused", (text, message) => {
    expect(() => parseMix(text)).toThrow(LoadOptionError);
    expect(() => parseMix(text)).toThrow(message);
  });

  it("formatMix spells a mix back", () => {
    expect(formatMix(parseMix("token007:0.8,token006:0.1,appid:0.1"))).toBe("token007:0.8,token006:0.1,appid:0.1");
  });
});

describe("drawKind", () => {
  const mix = parseMix("token007:0.8,token006:0.1,appid:0.1");
  it.each([
    [0, "token007"],
    [0.7999, "token007"],
    [0.8, "token006"],
    [0.8999, "token006"],
    [0.9, "appid"],
    [0.999999, "appid"],
  ])("u = %s → %s", (u, kind) => {
    expect(drawKind(mix, u)).toBe(kind);
  });

  it("never draws a kind of weight 0, and follows the weights over many draws (seeded)", () => {
    const m = parseMix("token007:0.7,token006:0,appid:0.3");
    const random = seededRandom(12345);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      const k = drawKind(m, random());
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts["token006"]).toBeUndefined();
    expect(counts["token007"]! / 20_000).toBeCloseTo(0.7, 1);
    expect(counts["appid"]! / 20_000).toBeCloseTo(0.3, 1);
  });

  it("the same seed draws the same sequence", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect(Array.from({ length: 5 }, () => a())).toEqual(Array.from({ length: 5 }, () => b()));
  });
});

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["45", 45_000],
    ["0", 0],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text, "--duration")).toBe(ms);
  });

  it.each(["", "s", "-1s", "10 minutes", "1d", "1e3"])("%j is refused, naming the option", (text) => {
    expect(() => parseDuration(text, "--hold")).toThrow(LoadOptionError);
    expect(() => parseDuration(text, "--hold")).toThrow(/^--hold: /);
  });
});
