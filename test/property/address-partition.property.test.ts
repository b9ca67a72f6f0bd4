/**
 * The environment index's address partition cuts the address space at the edges of every block
 * and address the environment gives (routes, prefix lists, VPCs, subnets, endpoints, NAT
 * gateways, on-premises), so no two addresses the classifier could tell apart share a piece.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { AddressPartition } from '../../shared/net/address-partition.js';
import { CidrSet, parseCidr } from '../../shared/net/cidr-set.js';
import { environment } from './flow-env-arbitraries.js';

/** Every IPv4 block of `env` that some lookup of the index answers from. */
function blocksOf(env: Environment): string[] {
  const host = (ip: string) => (ip.includes('/') ? ip : `${ip}/32`);
  return [
    ...env.s3PrefixLists.flatMap((p) => p.cidrs),
    ...env.routeTables.flatMap((t) => t.routes.map((r) => r.destination).filter((d) => !d.startsWith('pl-'))),
    ...env.vpcs.flatMap((v) => v.cidrs),
    ...env.subnets.flatMap((s) => s.cidrs),
    ...env.interfaceEndpoints.flatMap((e) => e.ips.map(host)),
    ...env.natGateways.flatMap((n) => [...n.privateIps, ...n.publicIps].map(host)),
    ...env.onPrem.cidrs,
    ...env.onPrem.publicEgressIps.map(host),
  ];
}

describe('EnvironmentIndex.addressPartition', () => {
  it('starts a piece at the first address of every block and after its last', () => {
    fc.assert(
      fc.property(environment, (env) => {
        const p = buildEnvironmentIndex(env).addressPartition();
        for (const text of blocksOf(env)) {
          const c = parseCidr(text);
          if (typeof c === 'string' || c.family !== 4) continue;
          const first = c.v4;
          const last = first + 2 ** (32 - c.length) - 1;
          if (first > 0) expect(p.pieceOf4(first), `${text} first`).not.toBe(p.pieceOf4(first - 1));
          if (last < 2 ** 32 - 1) expect(p.pieceOf4(last), `${text} last`).not.toBe(p.pieceOf4(last + 1));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives every IPv4 address the piece of the last start at or below it', () => {
    // Blocks packed into a few /16s and /24s, so that /16s, /24s and single addresses are cut
    // (the lookup's first table, its rows of /24s and its search), plus blocks anywhere.
    const near = fc
      .tuple(fc.constantFrom(0x34d8, 0x0305, 0x0a00, 0xffff), fc.nat(0xffff), fc.integer({ min: 8, max: 32 }))
      .map(([hi, lo, len]) => [(hi * 65536 + lo) >>> 0, len] as const);
    const anywhere = fc.tuple(fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }));
    const block = fc.oneof(near, anywhere).map(([v, len]) => {
      const base = len === 0 ? 0 : (v & (0xffffffff << (32 - len))) >>> 0;
      return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${len}`;
    });
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 40 }),
        fc.array(fc.nat(0xffffffff), { maxLength: 40 }),
        (blocks, probes) => {
          const set = CidrSet.build(blocks.map((b) => [b, 1] as const)).set;
          const p = AddressPartition.of([set]);
          const starts = [...set.rangeStarts(4), 0].sort((a, b) => a - b);
          const distinct = [...new Set(starts)];
          // Every start, the address before it and after it, and random addresses.
          const at = [
            ...distinct.flatMap((s) => [s, s - 1, s + 1, s + 255, s + 256]),
            ...probes,
            0,
            0xffffffff,
          ];
          for (const v of at) {
            if (v < 0 || v > 0xffffffff) continue;
            let want = 0;
            while (want + 1 < distinct.length && distinct[want + 1]! <= v) want++;
            expect(p.pieceOf4(v), `${v}`).toBe(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
