/**
 * A bounded little-endian reader over a token's bytes. It never throws: the first read past
 * the end sets {@link ByteReader.overrun}, and every later read returns 0 or an empty slice.
 * Parsers check `overrun` once at the end, which keeps exceptions off the verify path.
 */
export class ByteReader {
  /** Offset of the next byte to read. */
  offset: number;
  /** True once any read ran past the end of the buffer. */
  overrun = false;

  readonly buf: Buffer;
  /** Exclusive end of the readable region. */
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.offset = start;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.offset;
  }

  private take(n: number): number {
    const at = this.offset;
    if (this.overrun || at + n > this.end) {
      this.overrun = true;
      return -1;
    }
    this.offset = at + n;
    return at;
  }

  /** Reads a u16 (LE). */
  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16LE(at);
  }

  /** Reads an i16 (LE). */
  i16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readInt16LE(at);
  }

  /** Reads a u32 (LE). */
  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32LE(at);
  }

  /** Reads a `bytes16` (u16 length, then that many bytes) as a view into the buffer. */
  bytes16(): Buffer {
    const len = this.u16();
    const at = this.take(len);
    return at < 0 ? EMPTY : this.buf.subarray(at, at + len);
  }

  /**
   * Reads a `map16_32` (u16 count, then count × {u16 key, u32 value}) as an array of
   * [key, value] pairs in token order. The count is checked against the bytes left first,
   * so a hostile count allocates nothing.
   */
  map16_32(): Array<[number, number]> {
    const count = this.u16();
    if (count * 6 > this.remaining) {
      this.overrun = true;
      return [];
    }
    const out: Array<[number, number]> = new Array(count);
    for (let i = 0; i < count; i++) out[i] = [this.u16(), this.u32()];
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
