/**
 * A map from tuples of byte strings (a few values of one line, each a span of a buffer) to small
 * non-negative integers, looked up in place: one probe and one confirming comparison per tuple,
 * where a {@link ByteMap} per value costs a probe each. For hot loops whose values come together:
 * a flow-log line's interface, subnet, VPC and direction repeat as a group.
 *
 * The caller hashes the tuple (see {@link spanTupleHash}) from the values' hashes, which it
 * usually has from scanning them, so the map reads the bytes only to confirm a hit.
 */
import { BYTE_HASH_SEED, ByteMap } from './byte-map.js';

/** Marks an absent value in a tuple's hash. */
const ABSENT = -1;
/** Longest value a tuple may hold: lengths are kept in 16 bits, 0 marking an absent value. */
export const SPAN_TUPLE_MAX_VALUE = 0xfffe;

/**
 * The tuple's values are read from a `spans` array: value `i` has its start, end and FNV-1a hash
 * at `at[i]`, `at[i] + 1` and `at[i] + 2` (the layout of CompiledFlowFormat.spanValues); a start
 * below 0 means the value is absent.
 *
 * @example
 * const m = new SpanTupleMap(Int32Array.of(0, 5), 1024); // values at spans[0..2] and spans[5..7]
 * const h = m.hashOf(spans);
 * if (!m.isFull) m.set(b, spans, h, 7);
 * m.get(b, spans, h); // 7
 */
export class SpanTupleMap {
  private pool: Buffer = Buffer.alloc(1024);
  private poolView = viewOf(this.pool);
  private poolUsed = 0;
  /** The view of the buffer last looked in (a reader's chunk buffer is usually reused). */
  private lastBuffer: Uint8Array | null = null;
  private lastView: DataView = this.poolView;
  /**
   * Each distinct value is kept once in `pool` (its offset here): tuples share most values (the
   * subnet and VPC of many interfaces), and a pool of one copy each stays in cache, where a copy
   * per tuple (420 KB for 5,759 tuples of the benchmark) made every confirmation a cache miss.
   */
  private readonly offsets = new ByteMap();
  /**
   * Per slot: value (-1: empty), hash, per member its offset in `pool`, then the members' lengths
   * plus one (0: absent) in 16 bits each, two to a word. Four members take 8 words, 32 bytes: a
   * slot never straddles two cache lines, and a lookup (a cache miss: lookups are random over a
   * table larger than the first-level cache) reads one line, where the 10 words of a length per
   * word often read two.
   */
  private readonly slots: Int32Array;
  private readonly stride: number;
  private readonly mask: number;
  private count = 0;

  private readonly width: number;

  /** Holds at most `capacity` tuples of the values at `at` (then {@link isFull}). */
  constructor(
    private readonly at: Int32Array,
    private readonly capacity: number,
  ) {
    const n = 2 ** Math.ceil(Math.log2(Math.max(8, capacity * 2)));
    this.width = at.length;
    this.stride = 2 + this.width + ((this.width + 1) >> 1);
    this.slots = new Int32Array(n * this.stride).fill(-1);
    this.mask = n - 1;
  }

  /** Number of tuples held. */
  get size(): number {
    return this.count;
  }

  /** Bytes held for the tuples' values. */
  get bytes(): number {
    return this.poolUsed;
  }

  /** True when no other tuple can be added. */
  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** The hash {@link get} and {@link set} expect for the tuple `spans` places. */
  hashOf(spans: Int32Array): number {
    const at = this.at;
    let h = BYTE_HASH_SEED;
    for (let i = 0; i < at.length; i++) {
      const j = at[i]!;
      h = Math.imul(h ^ (spans[j]! < 0 ? ABSENT : spans[j + 2]!), 0x01000193);
    }
    return h;
  }

  /** The value of the tuple `spans` places in `b` (whose hash is `h`), or -1. */
  get(b: Uint8Array, spans: Int32Array, h: number): number {
    const slots = this.slots;
    const stride = this.stride;
    for (let i = (h ^ (h >>> 15)) & this.mask; ; i = (i + 1) & this.mask) {
      const s = i * stride;
      const v = slots[s]!;
      if (v < 0) return -1;
      if (slots[s + 1] === h && this.holds(b, spans, s)) return v;
    }
  }

  /**
   * Sets the value (>= 0) of the tuple `spans` places in `b`, whose hash is `h`; the bytes are
   * copied. False, and nothing set, when a value is longer than {@link SPAN_TUPLE_MAX_VALUE}.
   */
  set(b: Uint8Array, spans: Int32Array, h: number, value: number): boolean {
    const slots = this.slots;
    const stride = this.stride;
    for (let i = (h ^ (h >>> 15)) & this.mask; ; i = (i + 1) & this.mask) {
      const s = i * stride;
      if (slots[s]! >= 0) {
        if (slots[s + 1] === h && this.holds(b, spans, s)) {
          slots[s] = value;
          return true;
        }
        continue;
      }
      if (this.isFull) throw new RangeError('SpanTupleMap is full');
      const width = this.width;
      for (let m = 0; m < width; m++) {
        const j = this.at[m]!;
        if (spans[j]! >= 0 && spans[j + 1]! - spans[j]! > SPAN_TUPLE_MAX_VALUE) return false;
      }
      slots[s] = value;
      slots[s + 1] = h;
      for (let m = 0; m < width; m += 2) slots[s + 2 + width + (m >> 1)] = 0;
      for (let m = 0; m < width; m++) {
        const j = this.at[m]!;
        const a = spans[j]!;
        if (a < 0) {
          slots[s + 2 + m] = 0;
          continue;
        }
        const n = spans[j + 1]! - a;
        slots[s + 2 + m] = this.keep(b, a, n, spans[j + 2]!);
        slots[s + 2 + width + (m >> 1)]! |= (n + 1) << (16 * (m & 1));
      }
      this.count++;
      return true;
    }
  }

  /** Removes every tuple. */
  clear(): void {
    this.slots.fill(-1);
    this.offsets.clear();
    this.poolUsed = 0;
    this.count = 0;
  }

  /**
   * Whether slot `s` holds exactly the values `spans` places in `b`. Compared four bytes at a
   * time through DataViews: over 66 bytes in three values, 2M comparisons took 55-85 ns each,
   * against 100-150 ns for a byte loop (same machine, same run).
   */
  private holds(b: Uint8Array, spans: Int32Array, s: number): boolean {
    const slots = this.slots;
    const pool = this.poolView;
    if (b !== this.lastBuffer) {
      this.lastBuffer = b;
      this.lastView = viewOf(b);
    }
    const line = this.lastView;
    const at = this.at;
    const lengths = s + 2 + at.length;
    for (let m = 0; m < at.length; m++) {
      const j = at[m]!;
      const a = spans[j]!;
      // The length plus one; 0: absent.
      const n1 = (slots[lengths + (m >> 1)]! >>> (16 * (m & 1))) & 0xffff;
      if (a < 0) {
        if (n1 !== 0) return false;
        continue;
      }
      const n = n1 - 1;
      if (spans[j + 1]! - a !== n) return false;
      const o = slots[s + 2 + m]!;
      if (n >= 4) {
        // The last word may overlap the one before: no byte loop for the tail.
        for (let k = 0; k < n - 4; k += 4) if (pool.getInt32(o + k) !== line.getInt32(a + k)) return false;
        if (pool.getInt32(o + n - 4) !== line.getInt32(a + n - 4)) return false;
      } else for (let k = 0; k < n; k++) if (pool.getUint8(o + k) !== line.getUint8(a + k)) return false;
    }
    return true;
  }

  /** Copies `b[a, a + n)` (whose hash is `h`) into the pool unless there already; its offset. */
  private keep(b: Uint8Array, a: number, n: number, h: number): number {
    const kept = this.offsets.get(b, a, a + n, h);
    if (kept >= 0) return kept;
    if (this.poolUsed + n > this.pool.length) {
      const bigger = Buffer.alloc(Math.max(this.pool.length * 2, this.poolUsed + n));
      this.pool.copy(bigger, 0, 0, this.poolUsed);
      this.pool = bigger;
      this.poolView = viewOf(bigger);
    }
    this.pool.set(b.subarray(a, a + n), this.poolUsed);
    this.offsets.set(b, a, a + n, h, this.poolUsed);
    this.poolUsed += n;
    return this.poolUsed - n;
  }
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
