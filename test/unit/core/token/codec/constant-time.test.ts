import { createHmac, timingSafeEqual } from "node:crypto";
import { describe, expect, it } from "vitest";
import { macEquals, macEqualsLatin1 } from "../../../../../core/token/codec/constant-time.js";

describe("macEquals", () => {
  const mac = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

  it("is true for equal bytes, in distinct buffers and in views at an offset", () => {
    expect(macEquals(mac, Uint8Array.from(mac))).toBe(true);
    const host = Buffer.alloc(50);
    host.set(mac, 7);
    expect(macEquals(host.subarray(7, 39), mac)).toBe(true);
    expect(macEquals(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("is false when any single bit of any byte differs, as timingSafeEqual says", () => {
    for (let i = 0; i < mac.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const other = Uint8Array.from(mac);
        other[i] = (other[i] as number) ^ (1 << bit);
        expect(macEquals(mac, other)).toBe(false);
        expect(macEquals(other, mac)).toBe(false);
        expect(timingSafeEqual(mac, other)).toBe(false);
      }
    }
  });

  it("is false for unequal lengths, including a prefix of the MAC", () => {
    expect(macEquals(mac, mac.subarray(0, 31))).toBe(false);
    expect(macEquals(mac.subarray(0, 31), mac)).toBe(false);
    expect(macEquals(mac, new Uint8Array(0))).toBe(false);
  });
});

// The verifiers read their MACs with digest("binary") (latin1, one character per byte).
describe("macEqualsLatin1", () => {
  const mac = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
  const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

  it("is true for the latin1 string of the same bytes, every byte value included", () => {
    expect(macEqualsLatin1(latin1(mac), mac)).toBe(true);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(macEqualsLatin1(latin1(all), all)).toBe(true);
    expect(macEqualsLatin1(createHmac("sha256", "k").update("m").digest("binary"), createHmac("sha256", "k").update("m").digest())).toBe(true);
  });

  it("is false when any single bit of any byte differs, or the lengths differ", () => {
    for (let i = 0; i < mac.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const other = Uint8Array.from(mac);
        other[i] = (other[i] as number) ^ (1 << bit);
        expect(macEqualsLatin1(latin1(mac), other)).toBe(false);
        expect(macEqualsLatin1(latin1(other), mac)).toBe(false);
      }
    }
    expect(macEqualsLatin1(latin1(mac).slice(0, 31), mac)).toBe(false);
    expect(macEqualsLatin1(latin1(mac), mac.subarray(0, 31))).toBe(false);
    // A character above 0xff (never produced by digest("binary")) cannot pass for its low byte.
    expect(macEqualsLatin1(String.fromCharCode(0x100 + (mac[0] as number)) + latin1(mac).slice(1), mac)).toBe(false);
  });
});
