import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../../../../core/token/codec/byte-writer.js";

describe("ByteWriter", () => {
  it("writes little-endian fields, bytes16 as UTF-8 with a byte-length prefix", () => {
    const w = new ByteWriter().u16(0x1234).i16(-2).u32(0x12345678).bytes16("é😀");
    expect(w.bytes().toString("hex")).toBe("3412" + "feff" + "78563412" + "0600" + "c3a9f09f9880");
  });

  it("writes map16_32 keys in ascending order, duplicates kept in insertion order", () => {
    const w = new ByteWriter().map16_32([
      [1000, 1],
      [1, 2],
      [1000, 3],
    ]);
    expect(w.bytes().toString("hex")).toBe("0300" + "0100" + "02000000" + "e803" + "01000000" + "e803" + "03000000");
  });

  // Regression: the writer used to evaluate `this.buf` before `reserve()` replaced it, so any
  // write that crossed the initial 256 bytes threw "offset is out of bounds".
  it.each([
    ["u16", (w: ByteWriter) => w.u16(0xbeef), "efbe"],
    ["i16", (w: ByteWriter) => w.i16(-1), "ffff"],
    ["u32", (w: ByteWriter) => w.u32(0xdeadbeef), "efbeadde"],
    ["bytes16", (w: ByteWriter) => w.bytes16(Buffer.alloc(300, 0xab)), "2c01" + "ab".repeat(300)],
  ] as const)("grows past the initial buffer on %s", (_name, write, hex) => {
    const w = new ByteWriter().bytes16(Buffer.alloc(253, 0x11)); // 255 bytes written
    write(w);
    const out = w.bytes();
    expect(out.subarray(0, 255).toString("hex")).toBe("fd00" + "11".repeat(253));
    expect(out.subarray(255).toString("hex")).toBe(hex);
  });

  it("grows repeatedly", () => {
    const w = new ByteWriter();
    for (let i = 0; i < 5000; i++) w.u32(i);
    const out = w.bytes();
    expect(out.length).toBe(20_000);
    expect([out.readUInt32LE(0), out.readUInt32LE(4 * 4999)]).toEqual([0, 4999]);
  });

  it("refuses a bytes16 longer than 65535 bytes", () => {
    let error: unknown;
    try {
      new ByteWriter().bytes16(Buffer.alloc(65_536));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe("a bytes16 field holds at most 65535 bytes, got 65536");
    expect(new ByteWriter().bytes16(Buffer.alloc(65_535)).bytes().length).toBe(65_537);
  });
});
