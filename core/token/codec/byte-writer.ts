/** A growable little-endian writer for building tokens (never on the verify path). */
export class ByteWriter {
  private buf = Buffer.alloc(256);
  private len = 0;

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u16(v: number): this {
    const at = this.reserve(2); // reserve first: it may replace this.buf
    this.buf.writeUInt16LE(v, at);
    return this;
  }

  i16(v: number): this {
    const at = this.reserve(2);
    this.buf.writeInt16LE(v, at);
    return this;
  }

  u32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
    return this;
  }

  /** A `bytes16`: u16 byte length, then the bytes. Strings are written as UTF-8. */
  bytes16(v: Uint8Array | string): this {
    const bytes = typeof v === "string" ? Buffer.from(v, "utf8") : v;
    if (bytes.length > 0xffff) throw new RangeError(`a bytes16 field holds at most 65535 bytes, got ${bytes.length}`);
    this.u16(bytes.length);
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    return this;
  }

  /** A `map16_32`, keys written in ascending numeric order as the official builders do. */
  map16_32(entries: Iterable<readonly [number, number]>): this {
    const sorted = [...entries].sort((a, b) => a[0] - b[0]);
    this.u16(sorted.length);
    for (const [k, v] of sorted) this.u16(k).u32(v);
    return this;
  }

  /** The bytes written so far (a copy). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}
