/**
 * The path of flow-log records, remembered per *kind* of record, for counting (`classify
 * --summary`): {@link classifyFlowRecord} runs once per distinct key below, and every other
 * record with that key gets the same path. Real flow logs repeat a few interface/peer tuples
 * millions of times; the benchmark's 2M records (random S3 addresses over 1,920 interfaces) hold
 * 6,525 keys. Measured on those records end to end: see docs/benchmarks.md.
 *
 * The key holds, for each field the classifier reads, exactly what its path depends on, and no
 * more (the reasons name more: they are not kept, so they may differ within a key):
 * - `srcaddr`, `dstaddr`, `pktSrcaddr`, `pktDstaddr`: absent; the piece of the environment's
 *   {@link EnvironmentIndex.addressPartition} holding the address (every address question the
 *   classifier asks goes through the index, whose answers are constant on a piece); or, for text
 *   that is not an address, the text itself.
 * - `interfaceId`: absent; else the subnet the index gives the ENI (by identity) and whether it
 *   is a NAT gateway ENI: the classifier reads the id only through `subnetByEni` and
 *   `natGatewayByEni`, so every unlisted ENI is alike.
 * - `subnetId`: absent; the listed subnet (by identity); or "not listed" (every unlisted id is alike).
 * - `vpcId`, `flowDirection`, `trafficPath`: the value itself.
 * A field of another type than the parser gives (a number where text is expected, a fraction)
 * gets no key: that record is classified on its own.
 *
 * Memory is bounded whatever the input: at most {@link MEMO_SLOTS}/2 keys,
 * {@link MEMO_TEXTS} distinct texts and MEMO_GROUPS groups of a line's interface, subnet, VPC and
 * direction are kept; past any, everything is forgotten and remembering starts again (the answers
 * stay exact, only slower).
 */
import type { EnvironmentIndex } from '../env/environment-index.js';
import type { Subnet } from '../env/types.js';
import { SPAN_WIDTH } from '../flow-logs/compiled-format.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { AddressPartition } from '../net/address-partition.js';
import { IpAddress } from '../net/ip.js';
import { ByteMap, hashOf } from '../text/byte-map.js';
import { SpanTupleMap } from '../text/span-tuple-map.js';
import { classifyFlowRecord, FLOW_DECISION_FIELDS } from './flow.js';
import { PATH_KINDS } from './index.js';
import type { PathDecision, PathKind } from './types.js';

/** The record keys the memo's key is made of: every key {@link classifyFlowRecord} reads. */
export const FLOW_MEMO_KEY_FIELDS = FLOW_DECISION_FIELDS;

/** Hash-table slots (keys kept: half of them). 65,536 slots of 8 words: 2 MB. */
export const MEMO_SLOTS = 1 << 16;
/** Distinct texts (VPC ids, directions, non-address texts) kept before starting again. */
export const MEMO_TEXTS = 4096;
/** A field value that cannot be keyed. */
const NO_KEY = -1;
const EGRESS = 1;
const INGRESS = 2;
/** Positions in FLOW_MEMO_KEY_FIELDS (and a line's spans): addresses are 0 to 3. */
const INTERFACE_ID = 4;
const SUBNET_ID = 5;
const VPC_ID = 6;
const TRAFFIC_PATH = 7;
const FLOW_DIRECTION = 8;
/**
 * The words of a key as kept: the number of the codes of the GROUP fields (see
 * {@link FlowPathMemo.tupleOf}), the four address codes, the traffic-path code.
 */
const WIDTH = 6;
/** Words per slot of the key table: the key, the answer (0: empty slot), one unused. */
const STRIDE = 8;
const ANSWER = 6;
/** The text fields of the key, read from a line as one group (see {@link FlowPathMemo.groups}). */
const GROUP = [INTERFACE_ID, SUBNET_ID, VPC_ID, FLOW_DIRECTION];
/** Distinct groups of those fields, and distinct codes of them, kept before starting again. */
const MEMO_GROUPS = 8192;
/** Bytes of distinct texts kept (a line is at most 16 KiB) before starting again. */
const MEMO_TEXT_BYTES = 1 << 20;
const DASH = 0x2d;

/**
 * Flow-log paths with a cache over one environment (no host scope).
 *
 * @example
 * const memo = new FlowPathMemo(buildEnvironmentIndex(env));
 * for (const r of records) counts[memo.pathOf(r) ?? 'unclassified']++;
 */
export class FlowPathMemo {
  private readonly partition: AddressPartition;
  /** Address codes: 0 absent, 1 + piece, then texts from `textBase`. */
  private readonly textBase: number;
  private readonly eniCodes = new Map<string, number>();
  private readonly subnetCodes = new Map<string, number>();
  private readonly texts = new Map<string, number>();
  /** The same ids as `texts`, by the bytes of a line. */
  private readonly textBytes = new ByteMap();
  private readonly eniBytes = new ByteMap();
  private readonly subnetBytes = new ByteMap();
  /**
   * A line's interface, subnet, VPC and direction, as one tuple of bytes, to the number of their
   * codes (see {@link tupleOf}). In flow logs these four come together (an interface sits in one
   * subnet of one VPC), so one probe and one hash check confirm them all where a map per field
   * took four, each with its own cache misses.
   */
  private readonly groups: SpanTupleMap;
  /**
   * The distinct codes of the GROUP fields, four words each, numbered in the order they came;
   * `tupleSlots` finds them (0 empty, else 1 + the number). Many interfaces share codes (every
   * ENI of one subnet has the same), so a key made of this number is exactly the key made of
   * the four codes, and a line reaches it from the group map in one read, not four.
   */
  private readonly tuples: Int32Array;
  private readonly tupleSlots: Int32Array;
  private tupleCount = 0;
  /**
   * Open addressing, STRIDE words per slot: the key (WIDTH words) and its answer (1 not
   * classified, 2 + i PATH_KINDS[i]; 0 an empty slot). A slot is 32 bytes, so a lookup, a cache
   * miss on this 2 MB table, reads one cache line; keys in a table of indices (then an array of
   * keys) took two misses.
   */
  private readonly table: Int32Array;
  private readonly mask: number;
  private used = 0;
  private readonly key = new Int32Array(WIDTH);
  /** The GROUP codes of the line {@link groupOf} reads. */
  private readonly groupCodes = new Int32Array(GROUP.length);
  private readonly ip = new IpAddress();

  constructor(
    private readonly idx: EnvironmentIndex,
    slots: number = MEMO_SLOTS,
    groups: number = MEMO_GROUPS,
  ) {
    this.partition = idx.addressPartition();
    this.groups = new SpanTupleMap(
      Int32Array.from(GROUP, (f) => f * SPAN_WIDTH),
      groups,
    );
    this.tuples = new Int32Array(groups * GROUP.length);
    this.tupleSlots = new Int32Array(2 ** Math.ceil(Math.log2(Math.max(8, groups * 2))));
    this.textBase = 1 + this.partition.size;
    const ordinal = new Map<Subnet, number>();
    const ordinalOf = (s: Subnet) => {
      let n = ordinal.get(s);
      if (n === undefined) {
        n = ordinal.size;
        ordinal.set(s, n);
      }
      return n;
    };
    // 0 absent, 1 not listed, then one code per listed subnet object.
    for (const [id, s] of idx.subnets) this.subnetCodes.set(id, 2 + ordinalOf(s));
    // 0 absent, 1 listed nowhere, then (subnet or none) x (NAT gateway ENI or not).
    for (const eni of new Set([...idx.subnetByEni.keys(), ...idx.natGatewayByEni.keys()])) {
      const s = idx.subnetByEni.get(eni);
      const nat = idx.natGatewayByEni.has(eni) ? 1 : 0;
      this.eniCodes.set(eni, 2 + 2 * (s === undefined ? 0 : 1 + ordinalOf(s)) + nat);
    }
    for (const [id, code] of this.eniCodes) setAscii(this.eniBytes, id, code);
    for (const [id, code] of this.subnetCodes) setAscii(this.subnetBytes, id, code);
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, slots)));
    this.table = new Int32Array(size * STRIDE);
    this.mask = size - 1;
  }

  /**
   * The path {@link classifyFlowRecord} gives `r` (null: not classified, rule 1), from the cache
   * when a record with the same key was classified before.
   */
  pathOf(r: FlowRecord): PathKind | null {
    return pathOfAnswer(this.answerOf(r));
  }

  /** {@link pathOf} as a number: 1 not classified (null), 2 + i PATH_KINDS[i]. */
  answerOf(r: FlowRecord): number {
    this.bound();
    if (!this.keyOf(r)) return answerOfDecision(classifyFlowRecord(r, this.idx));
    const at = this.find() * STRIDE;
    const table = this.table;
    if (table[at + ANSWER] !== 0) return table[at + ANSWER]!;
    const a = answerOfDecision(classifyFlowRecord(r, this.idx));
    if (this.used === (this.mask + 1) / 2) this.forget();
    else {
      table.set(this.key, at);
      table[at + ANSWER] = a;
      this.used++;
    }
    return a;
  }

  /**
   * The path of the record a flow-log line holds, from the places of its values the parser's
   * fast path found (`spans`: CompiledFlowFormat.spanValues for {@link FLOW_MEMO_KEY_FIELDS},
   * a line it accepted, every value checked) without building the record; undefined when the
   * line's key is not cached yet or cannot be read from the bytes (then pass the record to
   * {@link pathOf}, which caches it).
   */
  pathOfLine(b: Uint8Array, spans: Int32Array): PathKind | null | undefined {
    const a = this.answerOfLine(b, spans);
    return a === 0 ? undefined : pathOfAnswer(a);
  }

  /** {@link pathOfLine} as a number: 0 not known (undefined), else as {@link answerOf}. */
  answerOfLine(b: Uint8Array, spans: Int32Array): number {
    this.bound();
    return this.keyOfSpans(b, spans) ? this.table[this.find() * STRIDE + ANSWER]! : 0;
  }

  /** The slot holding `key`, or the empty slot where it goes. */
  private find(): number {
    const k = this.key;
    const k0 = k[0]!;
    const k1 = k[1]!;
    const k2 = k[2]!;
    const k3 = k[3]!;
    const k4 = k[4]!;
    const k5 = k[5]!;
    let h = Math.imul(0x811c9dc5 ^ k0, 0x01000193);
    h = Math.imul(h ^ k1, 0x01000193);
    h = Math.imul(h ^ k2, 0x01000193);
    h = Math.imul(h ^ k3, 0x01000193);
    h = Math.imul(h ^ k4, 0x01000193);
    h = Math.imul(h ^ k5, 0x01000193);
    h ^= h >>> 15;
    const table = this.table;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * STRIDE;
      if (
        table[at + ANSWER] === 0 ||
        (table[at] === k0 &&
          table[at + 1] === k1 &&
          table[at + 2] === k2 &&
          table[at + 3] === k3 &&
          table[at + 4] === k4 &&
          table[at + 5] === k5)
      )
        return slot;
    }
  }

  /**
   * The number of the codes of the GROUP fields `eni`, `subnet`, `vpc`, `direction` (none
   * NO_KEY), given one the first time they come; {@link bound} leaves room for one more.
   */
  private tupleOf(eni: number, subnet: number, vpc: number, direction: number): number {
    let h = Math.imul(0x811c9dc5 ^ eni, 0x01000193);
    h = Math.imul(h ^ subnet, 0x01000193);
    h = Math.imul(h ^ vpc, 0x01000193);
    h = Math.imul(h ^ direction, 0x01000193);
    h ^= h >>> 15;
    const slots = this.tupleSlots;
    const mask = slots.length - 1;
    const tuples = this.tuples;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = slots[slot]!;
      if (e === 0) {
        const n = this.tupleCount++;
        tuples[4 * n] = eni;
        tuples[4 * n + 1] = subnet;
        tuples[4 * n + 2] = vpc;
        tuples[4 * n + 3] = direction;
        slots[slot] = n + 1;
        return n;
      }
      const at = 4 * (e - 1);
      if (
        tuples[at] === eni &&
        tuples[at + 1] === subnet &&
        tuples[at + 2] === vpc &&
        tuples[at + 3] === direction
      )
        return e - 1;
    }
  }

  /** Fills `key`; false when a field cannot be keyed. */
  private keyOf(r: FlowRecord): boolean {
    const src = this.address(r.srcaddr);
    const dst = this.address(r.dstaddr);
    // pkt-srcaddr is usually the same text as srcaddr: one parse and search for both.
    const pktSrc = r.pktSrcaddr === r.srcaddr ? src : this.address(r.pktSrcaddr);
    const pktDst = r.pktDstaddr === r.dstaddr ? dst : this.address(r.pktDstaddr);
    const eni = this.idCode(r.interfaceId, this.eniCodes);
    const subnet = this.idCode(r.subnetId, this.subnetCodes);
    const vpc = r.vpcId == null ? 0 : typeof r.vpcId === 'string' ? 1 + this.text(r.vpcId) : NO_KEY;
    const tp = r.trafficPath;
    const path =
      tp == null
        ? 0
        : Number.isInteger(tp) && (tp as number) >= 0 && (tp as number) < 2 ** 30
          ? 1 + (tp as number)
          : NO_KEY;
    const dir = r.flowDirection;
    const direction =
      dir == null
        ? 0
        : dir === 'egress'
          ? EGRESS
          : dir === 'ingress'
            ? INGRESS
            : typeof dir === 'string'
              ? 3 + this.text(dir)
              : NO_KEY;
    if (
      src === NO_KEY ||
      dst === NO_KEY ||
      pktSrc === NO_KEY ||
      pktDst === NO_KEY ||
      eni === NO_KEY ||
      subnet === NO_KEY ||
      vpc === NO_KEY ||
      path === NO_KEY ||
      direction === NO_KEY
    )
      return false;
    return this.fill(this.tupleOf(eni, subnet, vpc, direction), src, dst, pktSrc, pktDst, path);
  }

  /** Writes a key: the number of its group codes, the four address codes and traffic-path. */
  private fill(tuple: number, src: number, dst: number, pktSrc: number, pktDst: number, path: number): true {
    const k = this.key;
    k[0] = tuple;
    k[1] = src;
    k[2] = dst;
    k[3] = pktSrc;
    k[4] = pktDst;
    k[5] = path;
    return true;
  }

  private address(v: unknown): number {
    if (v == null) return 0;
    if (typeof v !== 'string') return NO_KEY;
    if (this.ip.parse(v)) return 1 + this.partition.pieceOf(this.ip);
    return this.textBase + this.text(v);
  }

  private idCode(v: unknown, codes: ReadonlyMap<string, number>): number {
    if (v == null) return 0;
    return typeof v === 'string' ? (codes.get(v) ?? 1) : NO_KEY;
  }

  private text(s: string): number {
    let n = this.texts.get(s);
    if (n === undefined) {
      n = this.texts.size;
      this.texts.set(s, n);
    }
    return n;
  }

  /** Forgets everything when the texts kept reach their bound. */
  private bound(): void {
    if (
      this.texts.size >= MEMO_TEXTS ||
      this.textBytes.bytes > MEMO_TEXT_BYTES ||
      this.groups.isFull ||
      this.groups.bytes > MEMO_TEXT_BYTES ||
      this.tupleCount === this.tuples.length / 4
    )
      this.forget();
  }

  /** Fills `key` from a line's bytes as {@link keyOf} would from its record; false when it cannot. */
  private keyOfSpans(b: Uint8Array, spans: Int32Array): boolean {
    const src = this.addressCode(b, spans, 0);
    const dst = this.addressCode(b, spans, 1);
    // pkt-srcaddr is usually the same dotted quad as srcaddr: one lookup for both.
    const pktSrc = sameQuad(spans, 2, 0) ? src : this.addressCode(b, spans, 2);
    const pktDst = sameQuad(spans, 3, 1) ? dst : this.addressCode(b, spans, 3);
    if (src === NO_KEY || dst === NO_KEY || pktSrc === NO_KEY || pktDst === NO_KEY) return false;
    const at = TRAFFIC_PATH * SPAN_WIDTH;
    const v = spans[at + 3]!;
    const path = spans[at]! < 0 || v === -1 ? 0 : v >= 0 && v < 2 ** 30 ? 1 + v : NO_KEY;
    if (path === NO_KEY) return false;
    const h = this.groups.hashOf(spans);
    let t = this.groups.get(b, spans, h);
    if (t < 0) {
      t = this.groupOf(b, spans);
      if (t === NO_KEY) return false;
      // bound() ran first, so there is room for this one (a value too long for the map is not kept).
      this.groups.set(b, spans, h, t);
    }
    return this.fill(t, src, dst, pktSrc, pktDst, path);
  }

  /** The key code of address `slot` (0 to 3) of a line. */
  private addressCode(b: Uint8Array, spans: Int32Array, slot: number): number {
    const at = slot * SPAN_WIDTH;
    const a = spans[at]!;
    if (a < 0) return 0;
    if (spans[at + 4] === 1) return 1 + this.partition.pieceOf4(spans[at + 3]! >>> 0);
    const e = spans[at + 1]!;
    if (e - a === 1 && b[a] === DASH) return 0;
    return isAscii(b, a, e) ? this.address(latin1(b, a, e)) : NO_KEY;
  }

  /** The number ({@link tupleOf}) of the codes of a line's GROUP fields; NO_KEY when one cannot be keyed. */
  private groupOf(b: Uint8Array, spans: Int32Array): number {
    const codes = this.groupCodes;
    for (let i = 0; i < GROUP.length; i++) {
      const at = GROUP[i]! * SPAN_WIDTH;
      const a = spans[at]!;
      const e = spans[at + 1]!;
      const code =
        a < 0 || (e - a === 1 && b[a] === DASH) ? 0 : this.textCode(GROUP[i]!, b, a, e, spans[at + 2]!);
      if (code === NO_KEY) return NO_KEY;
      codes[i] = code;
    }
    return this.tupleOf(codes[0]!, codes[1]!, codes[2]!, codes[3]!);
  }

  /**
   * The key code of text value `b[a, e)` (not `-`; `h` its hash) of key `slot`, or NO_KEY for
   * text that is not ASCII (a record decodes it as UTF-8; the byte maps hold ASCII only).
   */
  private textCode(slot: number, b: Uint8Array, a: number, e: number, h: number): number {
    if (slot === INTERFACE_ID || slot === SUBNET_ID) {
      const code = (slot === INTERFACE_ID ? this.eniBytes : this.subnetBytes).get(b, a, e, h);
      return code >= 0 ? code : isAscii(b, a, e) ? 1 : NO_KEY;
    }
    // flowDirection: as keyOf codes it.
    if (slot !== VPC_ID) {
      if (equalsAscii(b, a, e, 'egress')) return EGRESS;
      if (equalsAscii(b, a, e, 'ingress')) return INGRESS;
    }
    let id = this.textBytes.get(b, a, e, h);
    if (id < 0) {
      if (!isAscii(b, a, e)) return NO_KEY;
      id = this.text(latin1(b, a, e));
      this.textBytes.set(b, a, e, h, id);
    }
    return slot === VPC_ID ? 1 + id : 3 + id;
  }

  private forget(): void {
    this.groups.clear();
    this.texts.clear();
    this.textBytes.clear();
    this.tupleSlots.fill(0);
    this.tupleCount = 0;
    this.table.fill(0);
    this.used = 0;
  }
}

/** The path of an answer of {@link FlowPathMemo.answerOf} (1 or more). */
export function pathOfAnswer(a: number): PathKind | null {
  return a === 1 ? null : PATH_KINDS[a - 2]!;
}

function answerOfDecision(d: PathDecision | null): number {
  return d === null ? 1 : 2 + PATH_KINDS.indexOf(d.path);
}

/** `text` as the bytes of a line carry it, when it is ASCII (others take the record path). */
function setAscii(map: ByteMap, text: string, value: number): void {
  const b = Buffer.from(text, 'latin1');
  if (b.toString('latin1') !== text || !isAscii(b, 0, b.length)) return;
  map.set(b, 0, b.length, hashOf(b, 0, b.length), value);
}

/** Whether address `slot` of a line is the same dotted quad as address `other`. */
function sameQuad(spans: Int32Array, slot: number, other: number): boolean {
  const at = slot * SPAN_WIDTH;
  const o = other * SPAN_WIDTH;
  return spans[at + 4] === 1 && spans[o + 4] === 1 && spans[at + 3] === spans[o + 3] && spans[o]! >= 0;
}

function isAscii(b: Uint8Array, a: number, e: number): boolean {
  for (let i = a; i < e; i++) if (b[i]! >= 0x80) return false;
  return true;
}

function latin1(b: Uint8Array, a: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', a, e);
}

function equalsAscii(b: Uint8Array, a: number, e: number, text: string): boolean {
  if (e - a !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[a + i] !== text.charCodeAt(i)) return false;
  return true;
}
