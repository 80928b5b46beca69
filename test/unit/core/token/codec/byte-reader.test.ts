import { describe, expect, it } from "vitest";
import { ByteReader } from "../../../../../core/token/codec/byte-reader.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("ByteReader (bounded little-endian reads, never throws)", () => {
  it("reads u16, i16, u32 little-endian and bytes16 as views", () => {
    const r = new ByteReader(hex("3412 feff 78563412 0300 616263"));
    expect([r.u16(), r.i16(), r.u32()]).toEqual([0x1234, -2, 0x12345678]);
    const b = r.bytes16();
    expect(b.toString("latin1")).toBe("abc");
    expect({ offset: r.offset, remaining: r.remaining, overrun: r.overrun }).toEqual({ offset: 13, remaining: 0, overrun: false });
    // A view, not a copy.
    expect(b.buffer).toBe(r.buf.buffer);
  });

  it("reads a map16_32 in token order, duplicates kept", () => {
    const r = new ByteReader(hex("0300 e803 10000000 0100 00000000 e803 20000000"));
    expect(r.map16_32()).toEqual([
      [1000, 16],
      [1, 0],
      [1000, 32],
    ]);
    expect(r.overrun).toBe(false);
  });

  const OVERRUNS: ReadonlyArray<readonly [string, string, (r: ByteReader) => unknown, unknown, number]> = [
    ["u16 with 1 byte", "01", (r) => r.u16(), 0, 0],
    ["i16 with 1 byte", "ff", (r) => r.i16(), 0, 0],
    ["u32 with 3 bytes", "010203", (r) => r.u32(), 0, 0],
    ["bytes16 whose length passes the end", "0500 6162", (r) => r.bytes16().length, 0, 2],
    ["bytes16 with no length", "", (r) => r.bytes16().length, 0, 0],
    ["map16_32 whose count passes the end", "0200 0100 02000000", (r) => r.map16_32(), [], 2],
    ["map16_32 with a hostile count (65535) and no entries", "ffff", (r) => r.map16_32(), [], 2],
    ["map16_32 with 5 of the 6 bytes of its one entry", "0100 0100 020000", (r) => r.map16_32(), [], 2],
  ];

  it.each(OVERRUNS)("%s: sets overrun, returns an empty value, leaves the offset where the failed read began", (_name, bytes, read, value, offset) => {
    const r = new ByteReader(hex(bytes));
    expect(read(r)).toEqual(value);
    expect({ overrun: r.overrun, offset: r.offset }).toEqual({ overrun: true, offset });
  });

  it("stays overrun: later reads return 0 / empty even when bytes would remain", () => {
    const r = new ByteReader(hex("0a00 01020304 05060708"));
    expect(r.bytes16().length).toBe(0);
    expect(r.overrun).toBe(true);
    expect([r.u16(), r.u32(), r.i16(), r.bytes16().length, r.map16_32()]).toEqual([0, 0, 0, 0, []]);
    expect(r.offset).toBe(2);
  });

  it("a hostile map count allocates nothing and reads nothing", () => {
    const r = new ByteReader(Buffer.concat([hex("ffff"), Buffer.alloc(6 * 100)]));
    const before = r.offset;
    expect(r.map16_32()).toEqual([]);
    expect({ overrun: r.overrun, consumed: r.offset - before }).toEqual({ overrun: true, consumed: 2 });
  });

  it("an exact fit is no overrun", () => {
    const r = new ByteReader(hex("0100 0100 02000000"));
    expect(r.map16_32()).toEqual([[1, 2]]);
    expect({ overrun: r.overrun, remaining: r.remaining }).toEqual({ overrun: false, remaining: 0 });
  });

  it("respects a start/end window inside a larger buffer", () => {
    const r = new ByteReader(hex("ffff 0200 6869 ffff"), 2, 6);
    expect(r.bytes16().toString("latin1")).toBe("hi");
    expect(r.remaining).toBe(0);
    expect(r.u16()).toBe(0);
    expect(r.overrun).toBe(true);
  });
});
