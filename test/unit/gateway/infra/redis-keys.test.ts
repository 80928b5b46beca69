import { describe, expect, it } from "vitest";
import { redisKeys } from "../../../../gateway/infra/redis-keys.js";

const APP_ID = "0123456789abcdef0123456789ABCDEF";

describe("redisKeys().sessionOwner (docs/redis.md, \"Session ownership\")", () => {
  it("names the owner record of an App ID and uid, in the App ID's hash slot", () => {
    expect(redisKeys("rtm:").sessionOwner(APP_ID, "alice")).toBe(`rtm:owner:{${APP_ID}:alice}`);
  });

  // It remembers the App ID it checked last (every login of a project passes the same string):
  // what it refuses must not depend on what it accepted before.
  it("refuses a bad App ID or uid whatever it was asked before", () => {
    const keys = redisKeys("rtm:");
    const bad = ["", "0123456789abcdef0123456789abcdeg", `${APP_ID}0`, APP_ID.slice(1), 42 as unknown as string];
    for (let i = 0; i < 2; i++) {
      for (const appId of bad) {
        expect(keys.sessionOwner(APP_ID, "alice")).toBe(`rtm:owner:{${APP_ID}:alice}`);
        expect(() => keys.sessionOwner(appId, "alice"), String(appId)).toThrow("an App ID is 32 hexadecimal characters");
      }
      expect(() => keys.sessionOwner(APP_ID, "")).toThrow("a uid is 1-256 characters");
      expect(() => keys.sessionOwner(APP_ID, "u".repeat(257))).toThrow("a uid is 1-256 characters");
      expect(keys.sessionOwner(APP_ID, "u".repeat(256))).toBe(`rtm:owner:{${APP_ID}:${"u".repeat(256)}}`);
    }
  });
});
