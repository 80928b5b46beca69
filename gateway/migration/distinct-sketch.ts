/**
 * A small HyperLogLog sketch of distinct strings (uids): 256 one-byte registers, a standard
 * error of about 6.5 %. Sketches of the same size merge by taking each register's maximum, so
 * a sliding window is the merge of its buckets' sketches, and the gateways sharing one Redis
 * merge theirs the same way (docs/migration.md, "Several gateways"): {@link DistinctSketch.encode}
 * writes the registers as 256 characters, {@link DistinctSketch.decode} reads them back. Not for
 * anything secret: the hash is 32-bit FNV-1a.
 */
const P = 8;
const M = 1 << P;
/** The bias correction of HyperLogLog for 256 registers (Flajolet et al.). */
const ALPHA = 0.7213 / (1 + 1.079 / M);
/** One character per register (a register holds at most 32 - P + 1 = 25, well under 64). */
const DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The largest rank a register can hold. */
const MAX_RANK = 32 - P + 1;
/** Register values by character code, -1 for a character that is not a digit (or too large a rank). */
const VALUE_OF = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i <= MAX_RANK; i++) t[DIGITS.charCodeAt(i)] = i;
  return t;
})();

export class DistinctSketch {
  readonly registers = new Uint8Array(M);

  /** Records one string. */
  add(s: string): void {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // A final mix so that short, similar uids spread over the registers.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h >>>= 0;
    const index = h >>> (32 - P);
    const rest = (h << P) >>> 0;
    const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
    if (rank > (this.registers[index] as number)) this.registers[index] = rank;
  }

  /** Takes every register's maximum with `other`'s. */
  merge(other: DistinctSketch): void {
    const r = this.registers;
    const o = other.registers;
    for (let i = 0; i < M; i++) if ((o[i] as number) > (r[i] as number)) r[i] = o[i] as number;
  }

  /** True while nothing has been recorded (or merged in). */
  isEmpty(): boolean {
    for (let i = 0; i < M; i++) if (this.registers[i] !== 0) return false;
    return true;
  }

  /** The registers as exactly 256 URL-safe characters (`A` = 0, `B` = 1, …), for sharing. */
  encode(): string {
    let out = "";
    for (let i = 0; i < M; i++) out += DIGITS[this.registers[i] as number];
    return out;
  }

  /**
   * The sketch `encode()` wrote, or null when `text` is not one: anything but 256 characters each
   * naming a register value from 0 to 25.
   */
  static decode(text: string): DistinctSketch | null {
    if (text.length !== M) return null;
    const sketch = new DistinctSketch();
    for (let i = 0; i < M; i++) {
      const code = text.charCodeAt(i);
      const v = code < 128 ? (VALUE_OF[code] as number) : -1;
      if (v < 0) return null;
      sketch.registers[i] = v;
    }
    return sketch;
  }

  /** The estimated number of distinct strings recorded. */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const v = this.registers[i] as number;
      sum += 2 ** -v;
      if (v === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    // Small ranges: linear counting is more accurate while registers are still empty.
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }
}
