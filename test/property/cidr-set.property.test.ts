import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet } from '../../shared/net/cidr-set.js';
import { formatIpv4, formatIpv6, IpAddress } from '../../shared/net/ip.js';

// Brute-force reference: every block that holds the address, longest wins, earliest on a tie.
interface Block {
  readonly bits: 32 | 128;
  readonly net: bigint;
  readonly length: number;
}

const toBig = (a: IpAddress): bigint => {
  if (a.family === 4) return BigInt(a.v4);
  let v = 0n;
  for (const w of a.words) v = (v << 32n) | BigInt(w);
  return v;
};

function reference(blocks: readonly Block[], addr: bigint, bits: 32 | 128): number | undefined {
  let best: number | undefined;
  let bestLen = -1;
  blocks.forEach((b, i) => {
    if (b.bits !== bits) return;
    const shift = BigInt(bits - b.length);
    if (addr >> shift === b.net >> shift && b.length > bestLen) {
      best = i;
      bestLen = b.length;
    }
  });
  return best;
}

const fromBig = (v: bigint, bits: 32 | 128): string => {
  if (bits === 32) return formatIpv4(Number(v));
  const w = [0, 1, 2, 3].map((k) => Number((v >> BigInt(32 * (3 - k))) & 0xffffffffn));
  return formatIpv6(w);
};

const mask = (v: bigint, length: number, bits: 32 | 128) => {
  const all = (1n << BigInt(bits)) - 1n;
  return v & (all ^ ((1n << BigInt(bits - length)) - 1n));
};

// Addresses cluster around a few bases so that blocks nest and overlap often, as routes do.
const bigOf = (bits: 32 | 128) =>
  fc
    .tuple(
      fc.constantFrom(0n, 0x34d80000n, 0xffffff00n, 0x26001fa0800000000000000000000000n),
      fc.bigInt({ min: 0n, max: (1n << 24n) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
      fc.boolean(),
    )
    .map(([base, near, any, useNear]) => {
      const top = 1n << BigInt(bits);
      return useNear ? ((base % top) + near < top ? (base % top) + near : near) : any;
    });

const blockOf = (bits: 32 | 128) =>
  fc
    .tuple(bigOf(bits), fc.integer({ min: 0, max: bits }))
    .map(([v, length]): Block => ({ bits, net: mask(v, length, bits), length }));

describe('CidrSet longest-prefix match', () => {
  it('agrees with a brute-force scan over random IPv4 and IPv6 block sets, zipped or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(blockOf(32), blockOf(128)), { maxLength: 40 }),
        fc.array(
          fc.oneof(
            bigOf(32).map((v) => [v, 32] as const),
            bigOf(128).map((v) => [v, 128] as const),
          ),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (blocks, probes) => {
          const { set, errors } = CidrSet.build(
            blocks.map((b, i) => [`${fromBig(b.net, b.bits)}/${b.length}`, i]),
          );
          expect(errors).toEqual([]);
          // Zipping two halves of the blocks and the whole answers as the parts do.
          const entries = blocks.map((b, i) => [`${fromBig(b.net, b.bits)}/${b.length}`, i] as const);
          const evens = CidrSet.build(entries.filter(([, i]) => i % 2 === 0)).set;
          const odds = CidrSet.build(entries.filter(([, i]) => i % 2 === 1)).set;
          const zipped = CidrSet.zip({ whole: set, evens, odds });
          const a = new IpAddress();
          // Probe the random addresses and every block's first and last address and neighbours.
          const all: (readonly [bigint, 32 | 128])[] = [...probes];
          for (const b of blocks) {
            const last = b.net + (1n << BigInt(b.bits - b.length)) - 1n;
            const top = (1n << BigInt(b.bits)) - 1n;
            all.push([b.net, b.bits], [last, b.bits]);
            if (b.net > 0n) all.push([b.net - 1n, b.bits]);
            if (last < top) all.push([last + 1n, b.bits]);
          }
          for (const [v, bits] of all) {
            const text = fromBig(v, bits);
            expect(a.parse(text)).toBe(true);
            // An IPv4-mapped IPv6 probe is looked up as IPv4, as the set documents.
            const fam = a.family === 4 ? 32 : 128;
            const want = reference(blocks, toBig(a), fam);
            expect(set.get(text), text).toBe(want);
            expect(set.get(a), text).toBe(want);
            const z = zipped.get(a);
            expect(z?.whole, text).toBe(want);
            expect(z?.evens, text).toBe(evens.get(a));
            expect(z?.odds, text).toBe(odds.get(a));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
