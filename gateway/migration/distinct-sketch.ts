/**
 * A small HyperLogLog sketch of distinct strings (uids): 256 one-byte registers, a standard
 * error of about 6.5 %. Sketches of the same size merge by taking each register's maximum, so
 * a sliding window is the merge of its buckets' sketches. Not for anything secret: the hash is
 * 32-bit FNV-1a.
 */
const P = 8;
const M = 1 << P;
/** The bias correction of HyperLogLog for 256 registers (Flajolet et al.). */
const ALPHA = 0.7213 / (1 + 1.079 / M);

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
