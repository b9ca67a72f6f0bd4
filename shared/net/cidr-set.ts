/**
 * Longest-prefix-match sets of CIDR blocks, IPv4 and IPv6, with a value attached to each prefix.
 *
 * Built once (per environment), queried per log record. The prefixes are flattened at build time
 * into sorted, non-overlapping address ranges, each carrying the value of the most specific prefix
 * that covers it; a lookup is one binary search over a typed array (about 11 probes for 1,000
 * prefixes) with no allocation. A bit trie would take up to 32 (IPv4) or 128 (IPv6) dependent
 * steps per lookup for the same answer.
 */
import { formatIpv4, formatIpv6, IpAddress, parseIpInto, parseIpv4, parseIpv6 } from './ip.js';

/** A parsed CIDR block. `words` holds the network address (IPv4: one word). */
export interface Cidr {
  readonly family: 4 | 6;
  /** IPv4: the network address as an unsigned 32-bit number. */
  readonly v4: number;
  /** IPv6: the network address as four big-endian words. */
  readonly words: Uint32Array;
  /** Prefix length. */
  readonly length: number;
}

/** Why a CIDR text was refused. */
export interface CidrError {
  /** The text as given. */
  readonly cidr: string;
  /** Position of the entry in the input, for messages such as `entry 3`. */
  readonly index: number;
  readonly message: string;
}

const IPV4_MAPPED_PREFIX = 96;

/**
 * Parses `a.b.c.d/n` or `ipv6/n`. Host bits must be zero (`10.0.0.1/8` is refused: AWS stores
 * network addresses, so such text is a typo, and guessing which half was meant could widen a
 * range). An IPv6 block inside `::ffff:0:0/96` with a length of 96 or more is the IPv4 block it
 * maps. Returns the block, or a message saying what is wrong.
 *
 * @example
 * parseCidr('52.216.0.0/15'); // { family: 4, v4: 886571008, length: 15, ... }
 * parseCidr('10.0.0.1/8');    // 'host bits set: the network is 10.0.0.0/8'
 */
export function parseCidr(text: string): Cidr | string {
  if (typeof text !== 'string') return 'not a string';
  const slash = text.indexOf('/');
  if (slash < 0) return 'missing /prefix-length';
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return 'prefix length is not a number';
  let length = Number(lenText);
  const words = new Uint32Array(4);
  let family: 4 | 6;
  let v4 = 0;
  if (text.lastIndexOf(':', slash) >= 0) {
    if (!parseIpv6(text, words, 0, slash)) return 'not an IPv6 address';
    if (length > 128) return 'IPv6 prefix length over 128';
    family = 6;
    if (length >= IPV4_MAPPED_PREFIX && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
      family = 4;
      v4 = words[3]!;
      length -= IPV4_MAPPED_PREFIX;
      words.fill(0);
    }
  } else {
    v4 = parseIpv4(text, 0, slash);
    if (v4 < 0) return 'not an IPv4 address';
    if (length > 32) return 'IPv4 prefix length over 32';
    family = 4;
  }
  const cidr: Cidr = { family, v4, words, length };
  const net = networkOf(cidr);
  if (!sameNetwork(net, cidr)) return `host bits set: the network is ${formatCidr(net)}`;
  return cidr;
}

function networkOf(c: Cidr): Cidr {
  if (c.family === 4) {
    const mask = c.length === 0 ? 0 : (0xffffffff << (32 - c.length)) >>> 0;
    return { family: 4, v4: (c.v4 & mask) >>> 0, words: new Uint32Array(4), length: c.length };
  }
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.min(32, Math.max(0, c.length - 32 * k));
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    w[k] = (c.words[k]! & mask) >>> 0;
  }
  return { family: 6, v4: 0, words: w, length: c.length };
}

function sameNetwork(a: Cidr, b: Cidr): boolean {
  if (a.family === 4) return a.v4 === b.v4;
  for (let k = 0; k < 4; k++) if (a.words[k] !== b.words[k]) return false;
  return true;
}

/** Canonical text of a CIDR block (`2600:1fa0:8000::/39`). */
export function formatCidr(c: Cidr): string {
  return `${c.family === 4 ? formatIpv4(c.v4) : formatIpv6(c.words)}/${c.length}`;
}

/** Whether `text` is a well-formed CIDR block with no host bits set. */
export function isCidr(text: string): boolean {
  return typeof parseCidr(text) !== 'string';
}

/** The 128-bit (IPv6) or 32-bit (IPv4) network address of a block as a BigInt, for building only. */
function startOf(c: Cidr): bigint {
  if (c.family === 4) return BigInt(c.v4);
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(c.words[k]!);
  return v;
}

interface Pending<V> {
  readonly start: bigint;
  readonly end: bigint;
  readonly length: number;
  value: V;
}

/** One family's flattened ranges: `starts` sorted, `values[i]` covers `[starts[i], starts[i+1])`. */
interface RangeTable {
  /** IPv4: one word per range; IPv6: four words per range. */
  readonly starts: Uint32Array;
  /** Index into the set's value array, or -1 where no prefix covers the range. */
  readonly slots: Int32Array;
  readonly count: number;
}

/** Options for {@link CidrSet.build}. */
export interface CidrSetOptions<V> {
  /**
   * Picks the value kept when the same block is given twice (after normalisation, so
   * `::ffff:10.0.0.0/104` and `10.0.0.0/8` are the same block). Receives the value already kept
   * (from the earlier entry) and the new one. @default keep the earlier entry's value
   */
  readonly onDuplicate?: (kept: V, incoming: V) => V;
}

/** What {@link CidrSet.build} returns: the set, and the entries it refused (never thrown). */
export interface CidrSetBuild<V> {
  readonly set: CidrSet<V>;
  readonly errors: readonly CidrError[];
}

/**
 * An immutable longest-prefix-match set. `get(ip)` returns the value of the most specific block
 * holding `ip`, or undefined.
 *
 * @example
 * const { set, errors } = CidrSet.build([['0.0.0.0/0', 'igw'], ['52.216.0.0/15', 'vpce']]);
 * set.get('52.217.1.9'); // 'vpce'
 * set.get('8.8.8.8');    // 'igw'
 */
export class CidrSet<V> {
  private readonly v4: RangeTable;
  private readonly v6: RangeTable;
  /** The distinct blocks, canonical text, in input order: for messages and tests. */
  readonly cidrs: readonly string[];

  private constructor(
    private readonly values: readonly V[],
    v4: RangeTable,
    v6: RangeTable,
    cidrs: readonly string[],
  ) {
    this.v4 = v4;
    this.v6 = v6;
    this.cidrs = cidrs;
  }

  /** An empty set. */
  static empty<V>(): CidrSet<V> {
    return CidrSet.build<V>([]).set;
  }

  /**
   * Builds a set from `[cidr, value]` entries. Malformed blocks are skipped and returned in
   * `errors` with their position; building never throws.
   */
  static build<V>(
    entries: Iterable<readonly [cidr: string, value: V]>,
    options: CidrSetOptions<V> = {},
  ): CidrSetBuild<V> {
    const errors: CidrError[] = [];
    const byKey = new Map<string, { cidr: Cidr; value: V }>();
    let index = 0;
    for (const [text, value] of entries) {
      const parsed = parseCidr(text);
      if (typeof parsed === 'string') {
        errors.push({ cidr: String(text), index, message: parsed });
      } else {
        const key = formatCidr(parsed);
        const kept = byKey.get(key);
        if (kept === undefined) byKey.set(key, { cidr: parsed, value });
        else if (options.onDuplicate) kept.value = options.onDuplicate(kept.value, value);
      }
      index++;
    }
    const values: V[] = [];
    const fam4: Pending<number>[] = [];
    const fam6: Pending<number>[] = [];
    for (const { cidr, value } of byKey.values()) {
      const slot = values.length;
      values.push(value);
      const bits = cidr.family === 4 ? 32 : 128;
      const start = startOf(cidr);
      const end = start + (1n << BigInt(bits - cidr.length)) - 1n;
      (cidr.family === 4 ? fam4 : fam6).push({ start, end, length: cidr.length, value: slot });
    }
    return {
      set: new CidrSet(values, flatten(fam4, 4), flatten(fam6, 6), [...byKey.keys()]),
      errors,
    };
  }

  /**
   * One set answering for several: `get(ip)` on the result returns an object holding, under each
   * key, what `sets[key].get(ip)` returns (keys whose set has no block for `ip` are absent), or
   * undefined when no set holds `ip`. Ranges are merged at build time, so one lookup replaces
   * one per set; the answer objects are shared between the ranges that have equal answers.
   *
   * @example
   * const facts = CidrSet.zip({ s3: prefixLists, nat: natAddresses });
   * facts.get('52.216.1.1'); // { s3: ... }
   */
  static zip<T extends Record<string, CidrSet<unknown>>>(
    sets: T,
  ): CidrSet<{ readonly [K in keyof T]?: T[K] extends CidrSet<infer V> ? V : never }> {
    type Facts = { readonly [K in keyof T]?: T[K] extends CidrSet<infer V> ? V : never };
    const keys = Object.keys(sets) as (keyof T & string)[];
    const members = keys.map((k) => sets[k]!);
    const values: Facts[] = [];
    const byCombination = new Map<string, number>();
    const zipFamily = (family: 4 | 6): RangeTable => {
      const tables = members.map((m) => (family === 4 ? m.v4 : m.v6));
      const boundaries = new Set<bigint>();
      for (const t of tables) for (let i = 0; i < t.count; i++) boundaries.add(rangeStart(t, i, family));
      const sorted = [...boundaries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const starts: bigint[] = [];
      const slots: number[] = [];
      for (const at of sorted) {
        const found = tables.map((t) => slotAt(t, at, family));
        let slot = -1;
        if (found.some((x) => x >= 0)) {
          const combination = found.join(',');
          const known = byCombination.get(combination);
          if (known !== undefined) {
            slot = known;
          } else {
            const facts: Record<string, unknown> = {};
            found.forEach((x, i) => {
              if (x >= 0) facts[keys[i]!] = members[i]!.values[x];
            });
            slot = values.length;
            values.push(Object.freeze(facts) as Facts);
            byCombination.set(combination, slot);
          }
        }
        if (slots.length > 0 && slots[slots.length - 1] === slot) continue;
        starts.push(at);
        slots.push(slot);
      }
      if (starts.length === 0 || starts[0] !== 0n) {
        starts.unshift(0n);
        slots.unshift(-1);
      }
      return packRanges(starts, slots, family);
    };
    const v4 = zipFamily(4);
    const v6 = zipFamily(6);
    const cidrs = [...new Set(members.flatMap((m) => m.cidrs))];
    return new CidrSet<Facts>(values, v4, v6, cidrs);
  }

  /** Number of distinct blocks. */
  get size(): number {
    return this.values.length;
  }

  /** The value of the most specific block holding `ip` (text or parsed), or undefined. */
  get(ip: string | IpAddress): V | undefined {
    let a: IpAddress;
    if (typeof ip === 'string') {
      SCRATCH.family = parseIpInto(ip, SCRATCH);
      a = SCRATCH;
    } else {
      a = ip;
    }
    const slot = a.family === 4 ? findV4(this.v4, a.v4) : a.family === 6 ? findV6(this.v6, a.words) : -1;
    return slot < 0 ? undefined : this.values[slot];
  }

  /** Same as {@link CidrSet.get}: the value of the most specific block holding `ip`, or undefined. */
  lookup(ip: string | IpAddress): V | undefined {
    return this.get(ip);
  }

  /** Whether some block holds `ip`. */
  has(ip: string | IpAddress): boolean {
    return this.get(ip) !== undefined;
  }

  /**
   * Where the answer of {@link CidrSet.get} may change: the sorted starts of the set's ranges of
   * one family (IPv4: one word each; IPv6: four big-endian words each). Between two consecutive
   * starts every address gets the same answer. A copy: the set stays immutable.
   */
  rangeStarts(family: 4 | 6): Uint32Array {
    const t = family === 4 ? this.v4 : this.v6;
    return t.starts.slice(0, family === 4 ? t.count : t.count * 4);
  }

  /**
   * What {@link CidrSet.get} answers across a whole block: the block cut into the ranges of this
   * set it meets, in address order, each with its first and last address (canonical text) and
   * the value every address of the range gets (undefined where no block of the set holds it).
   * Adjacent ranges with the same value are one. A malformed block gives a message instead.
   * Not for hot loops: it allocates per range.
   *
   * @example
   * const { set } = CidrSet.build([['52.216.0.0/15', 'vpce'], ['52.216.8.0/24', 'nat']]);
   * set.rangesWithin('52.216.0.0/15');
   * // [{ first: '52.216.0.0', last: '52.216.7.255', value: 'vpce' },
   * //  { first: '52.216.8.0', last: '52.216.8.255', value: 'nat' },
   * //  { first: '52.216.9.0', last: '52.217.255.255', value: 'vpce' }]
   */
  rangesWithin(block: string): CidrRange<V>[] | string {
    const c = parseCidr(block);
    if (typeof c === 'string') return c;
    const family = c.family;
    const t = family === 4 ? this.v4 : this.v6;
    const bits = family === 4 ? 32 : 128;
    const start = startOf(c);
    const end = start + (1n << BigInt(bits - c.length)) - 1n;
    const out: CidrRange<V>[] = [];
    let i = indexAt(t, start, family);
    for (; i < t.count; i++) {
      const from = rangeStart(t, i, family);
      if (from > end) break;
      const next = i + 1 < t.count ? rangeStart(t, i + 1, family) - 1n : (1n << BigInt(bits)) - 1n;
      const slot = t.slots[i]!;
      out.push({
        first: formatBig(later(from, start), family),
        last: formatBig(earlier(next, end), family),
        value: slot < 0 ? undefined : this.values[slot],
      });
    }
    return out;
  }
}

/** One range of {@link CidrSet.rangesWithin}. */
export interface CidrRange<V> {
  /** First address of the range, canonical text. */
  readonly first: string;
  /** Last address of the range, canonical text. */
  readonly last: string;
  readonly value: V | undefined;
}

// Math.max and Math.min do not take BigInt.
function later(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function earlier(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function formatBig(v: bigint, family: 4 | 6): string {
  if (family === 4) return formatIpv4(Number(v));
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) w[k] = Number((v >> BigInt(32 * (3 - k))) & 0xffffffffn);
  return formatIpv6(w);
}

const SCRATCH = new IpAddress();

/**
 * Turns nested or disjoint prefixes into sorted ranges. Prefixes never partially overlap, so after
 * sorting by start (then shorter first) a stack of open prefixes gives, at every boundary, the most
 * specific open prefix.
 */
function flatten(prefixes: Pending<number>[], family: 4 | 6): RangeTable {
  prefixes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.length - b.length));
  const starts: bigint[] = [0n];
  const slots: number[] = [-1];
  const emit = (at: bigint, slot: number) => {
    const last = starts.length - 1;
    if (starts[last] === at) {
      slots[last] = slot;
      // A range that ends up equal to its predecessor's value merges into it.
      if (last > 0 && slots[last - 1] === slot) {
        starts.pop();
        slots.pop();
      }
      return;
    }
    if (slots[last] === slot) return;
    starts.push(at);
    slots.push(slot);
  };
  const stack: Pending<number>[] = [];
  const closeUntil = (limit: bigint | null) => {
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (limit !== null && top.end >= limit) return;
      stack.pop();
      const next = stack[stack.length - 1];
      const after = top.end + 1n;
      // The last prefix may end at the top of the address space; nothing follows it.
      if (after <= (family === 4 ? 0xffffffffn : (1n << 128n) - 1n)) emit(after, next ? next.value : -1);
    }
  };
  for (const p of prefixes) {
    closeUntil(p.start);
    emit(p.start, p.value);
    stack.push(p);
  }
  closeUntil(null);
  return packRanges(starts, slots, family);
}

function packRanges(starts: readonly bigint[], slots: readonly number[], family: 4 | 6): RangeTable {
  const n = starts.length;
  const out = new Uint32Array(family === 4 ? n : n * 4);
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    if (family === 4) {
      out[i] = Number(s);
    } else {
      for (let k = 0; k < 4; k++) out[i * 4 + k] = Number((s >> BigInt(32 * (3 - k))) & 0xffffffffn);
    }
  }
  return { starts: out, slots: Int32Array.from(slots), count: n };
}

function rangeStart(t: RangeTable, i: number, family: 4 | 6): bigint {
  if (family === 4) return BigInt(t.starts[i]!);
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(t.starts[i * 4 + k]!);
  return v;
}

/** The slot of the range holding `at` (build time only). */
function slotAt(t: RangeTable, at: bigint, family: 4 | 6): number {
  return t.slots[indexAt(t, at, family)]!;
}

/** The index of the range holding `at` (not for hot loops: BigInt compares). */
function indexAt(t: RangeTable, at: bigint, family: 4 | 6): number {
  let lo = 0;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (rangeStart(t, mid, family) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function findV4(t: RangeTable, addr: number): number {
  const starts = t.starts;
  // Last range whose start is <= addr; range 0 starts at 0.
  let lo = 0;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= addr) lo = mid;
    else hi = mid - 1;
  }
  return t.slots[lo]!;
}

function findV6(t: RangeTable, w: Uint32Array): number {
  const starts = t.starts;
  const w0 = w[0]!;
  const w1 = w[1]!;
  const w2 = w[2]!;
  const w3 = w[3]!;
  let lo = 0;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    const b = mid * 4;
    const s0 = starts[b]!;
    let le: boolean;
    if (s0 !== w0) le = s0 < w0;
    else {
      const s1 = starts[b + 1]!;
      if (s1 !== w1) le = s1 < w1;
      else {
        const s2 = starts[b + 2]!;
        le = s2 !== w2 ? s2 < w2 : starts[b + 3]! <= w3;
      }
    }
    if (le) lo = mid;
    else hi = mid - 1;
  }
  return t.slots[lo]!;
}
