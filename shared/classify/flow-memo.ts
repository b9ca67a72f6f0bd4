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
 * Memory is bounded whatever the input: at most {@link MEMO_SLOTS}/2 keys and
 * {@link MEMO_TEXTS} distinct texts are kept; past either, everything is forgotten and
 * remembering starts again (the answers stay exact, only slower).
 */
import type { EnvironmentIndex } from '../env/environment-index.js';
import type { Subnet } from '../env/types.js';
import { SPAN_WIDTH } from '../flow-logs/compiled-format.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { AddressPartition } from '../net/address-partition.js';
import { IpAddress } from '../net/ip.js';
import { ByteMap, hashOf } from '../text/byte-map.js';
import { classifyFlowRecord, FLOW_DECISION_FIELDS } from './flow.js';
import { PATH_KINDS } from './index.js';
import type { PathKind } from './types.js';

/** The record keys the memo's key is made of: every key {@link classifyFlowRecord} reads. */
export const FLOW_MEMO_KEY_FIELDS = FLOW_DECISION_FIELDS;

const WIDTH = FLOW_MEMO_KEY_FIELDS.length;
/** Hash-table slots (keys kept: half of them). 65,536 slots of 9 words: 2.6 MB. */
export const MEMO_SLOTS = 1 << 16;
/** Distinct texts (VPC ids, directions, non-address texts) kept before starting again. */
export const MEMO_TEXTS = 4096;
/** A field value that cannot be keyed. */
const NO_KEY = -1;
const EGRESS = 1;
const INGRESS = 2;
/** Positions in the key (FLOW_MEMO_KEY_FIELDS): addresses are 0 to 3. */
const INTERFACE_ID = 4;
const SUBNET_ID = 5;
const VPC_ID = 6;
const TRAFFIC_PATH = 7;
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
  private readonly keys: Int32Array;
  /** 0: empty slot; 1: not classified (null); 2 + i: PATH_KINDS[i]. */
  private readonly answers: Uint8Array;
  private readonly mask: number;
  private used = 0;
  private readonly key = new Int32Array(WIDTH);
  private readonly ip = new IpAddress();

  constructor(
    private readonly idx: EnvironmentIndex,
    slots: number = MEMO_SLOTS,
  ) {
    this.partition = idx.addressPartition();
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
    this.keys = new Int32Array(size * WIDTH);
    this.answers = new Uint8Array(size);
    this.mask = size - 1;
  }

  /**
   * The path {@link classifyFlowRecord} gives `r` (null: not classified, rule 1), from the cache
   * when a record with the same key was classified before.
   */
  pathOf(r: FlowRecord): PathKind | null {
    this.bound();
    if (!this.keyOf(r)) return classifyFlowRecord(r, this.idx)?.path ?? null;
    const slot = this.find();
    const a = this.answers[slot]!;
    if (a !== 0) return a === 1 ? null : PATH_KINDS[a - 2]!;
    const d = classifyFlowRecord(r, this.idx);
    if (this.used * 2 >= this.answers.length) this.forget();
    else {
      this.keys.set(this.key, slot * WIDTH);
      this.answers[slot] = d === null ? 1 : 2 + PATH_KINDS.indexOf(d.path);
      this.used++;
    }
    return d?.path ?? null;
  }

  /**
   * The path of the record a flow-log line holds, from the places of its values the parser's
   * fast path found (`spans`: CompiledFlowFormat.spanValues for {@link FLOW_MEMO_KEY_FIELDS},
   * a line it accepted, every value checked) without building the record; undefined when the
   * line's key is not cached yet or cannot be read from the bytes (then pass the record to
   * {@link pathOf}, which caches it).
   */
  pathOfLine(b: Uint8Array, spans: Int32Array): PathKind | null | undefined {
    this.bound();
    if (!this.keyOfSpans(b, spans)) return undefined;
    const a = this.answers[this.find()]!;
    return a === 0 ? undefined : a === 1 ? null : PATH_KINDS[a - 2]!;
  }

  /** The slot holding `key`, or the empty slot where it goes. */
  private find(): number {
    const k = this.key;
    let h = 0x811c9dc5;
    for (let i = 0; i < WIDTH; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    h ^= h >>> 15;
    const keys = this.keys;
    const answers = this.answers;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      if (answers[slot] === 0) return slot;
      const at = slot * WIDTH;
      let i = 0;
      while (i < WIDTH && keys[at + i] === k[i]) i++;
      if (i === WIDTH) return slot;
    }
  }

  /** Fills `key`; false when a field cannot be keyed. */
  private keyOf(r: FlowRecord): boolean {
    const k = this.key;
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
    k[0] = src;
    k[1] = dst;
    k[2] = pktSrc;
    k[3] = pktDst;
    k[4] = eni;
    k[5] = subnet;
    k[6] = vpc;
    k[7] = path;
    k[8] = direction;
    for (let i = 0; i < WIDTH; i++) if (k[i] === NO_KEY) return false;
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
    if (this.texts.size >= MEMO_TEXTS || this.textBytes.bytes > MEMO_TEXT_BYTES) this.forget();
  }

  /** Fills `key` from a line's bytes as {@link keyOf} would from its record; false when it cannot. */
  private keyOfSpans(b: Uint8Array, spans: Int32Array): boolean {
    const k = this.key;
    for (let slot = 0; slot < WIDTH; slot++) {
      const at = slot * SPAN_WIDTH;
      const a = spans[at]!;
      const e = spans[at + 1]!;
      let code: number;
      if (a < 0) code = 0;
      else if (slot === TRAFFIC_PATH) {
        const v = spans[at + 3]!;
        code = v === -1 ? 0 : v >= 0 && v < 2 ** 30 ? 1 + v : NO_KEY;
      } else if (e - a === 1 && b[a] === DASH) code = 0;
      else if (slot < INTERFACE_ID) {
        code =
          spans[at + 4] === 1
            ? 1 + this.partition.pieceOf4(spans[at + 3]! >>> 0)
            : isAscii(b, a, e)
              ? this.address(latin1(b, a, e))
              : NO_KEY;
      } else code = this.textCode(slot, b, a, e, spans[at + 2]!);
      if (code === NO_KEY) return false;
      k[slot] = code;
    }
    return true;
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
    this.texts.clear();
    this.textBytes.clear();
    this.answers.fill(0);
    this.used = 0;
  }
}

/** `text` as the bytes of a line carry it, when it is ASCII (others take the record path). */
function setAscii(map: ByteMap, text: string, value: number): void {
  const b = Buffer.from(text, 'latin1');
  if (b.toString('latin1') !== text || !isAscii(b, 0, b.length)) return;
  map.set(b, 0, b.length, hashOf(b, 0, b.length), value);
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
