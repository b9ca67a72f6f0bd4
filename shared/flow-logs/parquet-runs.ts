/**
 * A resumable reader of Parquet's run-length/bit-packed hybrid encoding (definition levels,
 * dictionary indices): values are taken a slice at a time, so a page of a million rows is never
 * expanded whole. hyparquet's own hybrid reader expands a whole stream into one array, and a run
 * cut in the middle cannot be resumed.
 *
 * Every read is bounded by the stream's bytes: a run header or value past `end` throws (the
 * caller turns it into a damaged-page failure). Runs were also checked against the page's value
 * count before any decoding (./parquet-pages.ts), so no run can make a reader allocate.
 */
export class HybridRuns {
  /** Values left in the current RLE run, and its value. */
  private rle = 0;
  private value = 0;
  /** Values left in the current bit-packed run, the bit of the next one, and the byte after the run. */
  private packed = 0;
  private bit = 0;
  private packedEnd = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private off: number,
    private readonly end: number,
    private readonly width: number,
  ) {
    if (!(width >= 0 && width <= 32)) throw new Error(`run bit width ${width}`);
  }

  /** Fills `out[0..n)` with the next `n` values. Throws when the stream ends before them. */
  read(out: Uint8Array | Uint32Array, n: number): void {
    let i = 0;
    while (i < n) {
      if (this.rle > 0) {
        const k = Math.min(this.rle, n - i);
        out.fill(this.value, i, i + k);
        this.rle -= k;
        i += k;
      } else if (this.packed > 0) {
        const k = Math.min(this.packed, n - i);
        if (this.width === 1) this.unpackBits(out, i, k);
        else for (let j = 0; j < k; j++) out[i + j] = this.unpack();
        this.packed -= k;
        i += k;
        if (this.packed === 0) this.off = this.packedEnd;
      } else this.nextRun();
    }
  }

  private nextRun(): void {
    const b = this.bytes;
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.off >= this.end) throw new Error('runs end before the values do');
      if (shift > 35) throw new Error('run header too long');
      const c = b[this.off++]!;
      header += (c & 0x7f) * 2 ** shift;
      if ((c & 0x80) === 0) break;
    }
    const count = Math.floor(header / 2);
    if (header % 2 === 1) {
      // Bit-packed: `count` groups of 8 values, `width` bytes per group.
      this.packed = count * 8;
      this.bit = this.off * 8;
      this.packedEnd = this.off + count * this.width;
      return;
    }
    const bytes = (this.width + 7) >> 3;
    if (this.off + bytes > this.end) throw new Error('an RLE run ends before its value');
    let v = 0;
    for (let j = 0; j < bytes; j++) v += b[this.off + j]! * 2 ** (8 * j);
    this.off += bytes;
    this.value = v;
    this.rle = count;
  }

  /** Bit-packed values of width 1 (definition levels), 8 to a byte. */
  private unpackBits(out: Uint8Array | Uint32Array, at: number, k: number): void {
    let bit = this.bit;
    if ((bit + k - 1) >>> 3 >= this.end) throw new Error('a bit-packed run ends before its values');
    const b = this.bytes;
    for (let j = 0; j < k; j++, bit++) out[at + j] = (b[bit >>> 3]! >>> (bit & 7)) & 1;
    this.bit = bit;
  }

  /** The next bit-packed value (least significant bits first, as Parquet packs them). */
  private unpack(): number {
    const w = this.width;
    let pos = this.bit;
    let v = 0;
    let got = 0;
    while (got < w) {
      const at = pos >>> 3;
      if (at >= this.end) throw new Error('a bit-packed run ends before its values');
      const shift = pos & 7;
      const take = Math.min(8 - shift, w - got);
      v += ((this.bytes[at]! >>> shift) & ((1 << take) - 1)) * 2 ** got;
      got += take;
      pos += take;
    }
    this.bit = pos;
    return v;
  }
}
