/**
 * The address space cut where any of a group of {@link CidrSet}s may answer differently: every
 * address of one piece gets the same answer from every set of the group, so a question that only
 * asks those sets has one answer per piece. Per-record code uses the piece number as a stand-in
 * for the address in a cache key (`classify --summary` meets a few hundred pieces where the input
 * holds hundreds of thousands of distinct S3 addresses).
 *
 * A lookup is one binary search over a typed array, as in {@link CidrSet}.
 */
import type { CidrSet } from './cidr-set.js';
import type { IpAddress } from './ip.js';

/**
 * The pieces of the address space no set of a group tells apart.
 *
 * @example
 * const p = AddressPartition.of([prefixLists, vpcBlocks]);
 * a.parse('52.216.9.1'); b.parse('52.216.200.7');
 * p.pieceOf(a) === p.pieceOf(b); // true when no set of the group has a block between them
 */
export class AddressPartition {
  /**
   * Per /16 of IPv4: the piece of all its addresses when one piece holds them all, else -1 - the
   * piece of its first address (the search then runs from there to `last16`). Most /16s hold no
   * start of a piece, so one read answers; a binary search over the whole table took 10 to 12
   * unpredictable branches per address, the largest cost of `classify --summary` once cached.
   * One table for the common answer rather than a first/last pair: a lookup reads one 256 KiB
   * table instead of two, and the tables compete for the same cache as the memo's keys.
   */
  private readonly piece16: Int32Array;
  private readonly last16: Int32Array;
  /**
   * Per /16 that holds a start of a piece (one of the first {@link SPLIT_16S}): its row of 256
   * words in `piece24` and `last24`, else -1. A row gives, per /24, as `piece16` and `last16` do
   * per /16: its piece when one piece holds it all, else -1 - the piece of its first address
   * (the search then runs from there to `last24`). S3 blocks cut the /16s the S3 addresses of
   * flow logs fall in: 78% of the addresses of the benchmark's first 200,000 lines are in cut
   * /16s (11 of them), where a search took 2% of `classify --summary`'s CPU time; 18% are in cut /24s, searched over the
   * few pieces that start in that /24.
   */
  private readonly row16: Int16Array;
  private readonly piece24: Int32Array;
  private readonly last24: Int32Array;

  private constructor(
    private readonly v4: Uint32Array,
    /** Four big-endian words per start. */
    private readonly v6: Uint32Array,
  ) {
    this.piece16 = new Int32Array(65536);
    this.last16 = new Int32Array(65536);
    let piece = 0;
    for (let k = 0; k < 65536; k++) {
      const from = k * 65536;
      while (piece + 1 < v4.length && v4[piece + 1]! <= from) piece++;
      let last = piece;
      while (last + 1 < v4.length && v4[last + 1]! <= from + 65535) last++;
      this.piece16[k] = last === piece ? piece : -1 - piece;
      this.last16[k] = last;
    }
    this.row16 = new Int16Array(65536).fill(-1);
    let rows = 0;
    for (let k = 0; k < 65536 && rows < SPLIT_16S; k++) if (this.piece16[k]! < 0) this.row16[k] = rows++;
    this.piece24 = new Int32Array(rows * 256);
    this.last24 = new Int32Array(rows * 256);
    for (let k = 0; k < 65536; k++) {
      const row = this.row16[k]!;
      if (row < 0) continue;
      let p = -1 - this.piece16[k]!;
      for (let m = 0; m < 256; m++) {
        const from = k * 65536 + m * 256;
        while (p + 1 < v4.length && v4[p + 1]! <= from) p++;
        let last = p;
        while (last + 1 < v4.length && v4[last + 1]! <= from + 255) last++;
        this.piece24[row * 256 + m] = last === p ? p : -1 - p;
        this.last24[row * 256 + m] = last;
      }
    }
  }

  /** The partition of everything `sets` tell apart. */
  static of(sets: Iterable<CidrSet<unknown>>): AddressPartition {
    const v4 = new Set<number>([0]);
    const v6 = new Map<string, Uint32Array>([['0,0,0,0', new Uint32Array(4)]]);
    for (const set of sets) {
      for (const s of set.rangeStarts(4)) v4.add(s);
      const w = set.rangeStarts(6);
      for (let i = 0; i < w.length; i += 4) {
        const start = w.slice(i, i + 4);
        v6.set(start.join(','), start);
      }
    }
    const sorted6 = [...v6.values()].sort(compareWords);
    const packed6 = new Uint32Array(sorted6.length * 4);
    for (const [i, w] of sorted6.entries()) packed6.set(w, i * 4);
    return new AddressPartition(Uint32Array.from([...v4].sort((a, b) => a - b)), packed6);
  }

  /** Number of pieces (both families). */
  get size(): number {
    return this.v4.length + this.v6.length / 4;
  }

  /** {@link pieceOf} for an IPv4 address given as an unsigned 32-bit number. */
  pieceOf4(v: number): number {
    const k = v >>> 16;
    const piece = this.piece16[k]!;
    if (piece >= 0) return piece;
    const row = this.row16[k]!;
    if (row < 0) return lastAtOrBelow4(this.v4, v, -1 - piece, this.last16[k]!);
    const i = row * 256 + ((v >>> 8) & 255);
    const p24 = this.piece24[i]!;
    return p24 >= 0 ? p24 : lastAtOrBelow4(this.v4, v, -1 - p24, this.last24[i]!);
  }

  /**
   * The piece holding a parsed address: IPv4 pieces are numbered first, then IPv6 ones; -1 for
   * an address of no family (a failed parse).
   */
  pieceOf(a: IpAddress): number {
    if (a.family === 4) return this.pieceOf4(a.v4);
    if (a.family === 6) return this.v4.length + lastAtOrBelow6(this.v6, a.words);
    return -1;
  }
}

/** Cut /16s given a row of /24s (2 KiB each); past them, a cut /16 is searched. */
const SPLIT_16S = 1024;

function compareWords(a: Uint32Array, b: Uint32Array): number {
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return 0;
}

/** Index of the last start <= `v` in `starts[from, to]` (starts[from] <= v). */
function lastAtOrBelow4(starts: Uint32Array, v: number, from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function lastAtOrBelow6(starts: Uint32Array, w: Uint32Array): number {
  let lo = 0;
  let hi = starts.length / 4 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    const b = mid * 4;
    let le = true;
    for (let k = 0; k < 4; k++) {
      const s = starts[b + k]!;
      const x = w[k]!;
      if (s !== x) {
        le = s < x;
        break;
      }
    }
    if (le) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
