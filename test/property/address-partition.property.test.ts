/**
 * The environment index's address partition cuts the address space at the edges of every block
 * and address the environment gives (routes, prefix lists, VPCs, subnets, endpoints, NAT
 * gateways, on-premises), so no two addresses the classifier could tell apart share a piece.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { parseCidr } from '../../shared/net/cidr-set.js';
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
});
