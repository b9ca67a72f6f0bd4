/**
 * flowAddressFilter (what the analyze function's flow workers keep) never refuses a record the
 * correlator matches: random probes from a VPC and an on-premises vantage, their remote addresses
 * in several spellings, and records drawn from the same few addresses, times and ports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvidenceCorrelator, vantageFacts } from '../../shared/evidence/correlate.js';
import { flowAddressFilter, mergeFlowQueries } from '../../shared/evidence/flow-queries.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { env, observation, probe, T0 } from '../unit/loop-fixtures.js';

const t = Math.floor(T0.getTime() / 1000);
const REMOTES = ['52.216.8.100', '::ffff:52.216.8.100', '52.216.9.9', '2600:1f18::10', '2600:1f18:0:0::10'];
const ADDRESSES = [
  ...REMOTES,
  '10.0.1.77',
  '10.0.1.78',
  '10.0.1.99',
  '192.168.7.20',
  '::ffff:10.0.1.77',
  null,
];

const target = fc
  .record({
    remote: fc.constantFrom(...REMOTES),
    onPrem: fc.boolean(),
    n: fc.nat(99),
  })
  .map(({ remote, onPrem, n }) => {
    const id = `01JDQ7ZT00000000000000${String(n).padStart(4, '0')}`;
    const p = probe({
      probeId: id,
      ...(onPrem ? { vantage: { id: 'dc-1', kind: 'onprem' as const } } : {}),
    });
    const o = observation({ probeId: id, remoteAddress: remote, localAddress: '192.168.7.20' });
    return { probe: p, observation: o, facts: vantageFacts(env, p.vantage) };
  });

const common = {
  start: fc.integer({ min: t - 300, max: t + 200 }),
  interfaceId: fc.constantFrom('eni-0lambda000000000a', 'eni-0aaaaaaaaaaaaaaaa'),
};
const finish = <T extends { start: number }>(r: T) => ({ version: 5, protocol: 6, ...r, end: r.start + 59 });
/** Any mix of the addresses and ports. */
const anyRecord = fc
  .record({
    srcaddr: fc.constantFrom(...ADDRESSES),
    dstaddr: fc.constantFrom(...ADDRESSES),
    pktSrcaddr: fc.constantFrom(...ADDRESSES),
    pktDstaddr: fc.constantFrom(...ADDRESSES),
    srcport: fc.constantFrom(443, 50123, 40001),
    dstport: fc.constantFrom(443, 50123, 40001),
    ...common,
  })
  .map(finish);
/** A runner's request or its reply, in any spelling: the records that do match. */
const pathRecord = fc
  .record({
    local: fc.constantFrom('10.0.1.77', '::ffff:10.0.1.77', '192.168.7.20'),
    remote: fc.constantFrom(...REMOTES),
    reply: fc.boolean(),
    ...common,
  })
  .map(({ local, remote, reply, ...r }) =>
    finish({
      ...r,
      ...(reply
        ? { srcaddr: remote, dstaddr: local, srcport: 443, dstport: 50123 }
        : { srcaddr: local, dstaddr: remote, srcport: 50123, dstport: 443 }),
    }),
  );
const record: fc.Arbitrary<FlowRecord> = fc.oneof(anyRecord, pathRecord);

describe('flowAddressFilter', () => {
  it('keeps every record the correlator matches, whatever the spelling of its addresses', () => {
    let matched = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(target, { minLength: 1, maxLength: 6, selector: (x) => x.probe.probeId }),
        fc.array(record, { maxLength: 60 }),
        (targets, records) => {
          const correlator = new EvidenceCorrelator(targets);
          const query = mergeFlowQueries(correlator.flowQueries());
          if (query === null) return;
          const mayMatch = flowAddressFilter(query.addresses);
          for (const r of records) {
            if (correlator.addFlow(r).length === 0) continue;
            matched++;
            expect(mayMatch(r)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
    // The draws reach the correlator's matches often enough for the property to mean something.
    expect(matched).toBeGreaterThan(100);
  });

  it("refuses records with none of the query's addresses, and names both spellings of one", () => {
    const mayMatch = flowAddressFilter(['10.0.1.77', '52.216.8.100']);
    const r = (srcaddr: string, dstaddr: string, pktDstaddr?: string): FlowRecord => ({
      srcaddr,
      dstaddr,
      ...(pktDstaddr ? { pktDstaddr } : {}),
    });
    expect(mayMatch(r('10.0.1.99', '52.216.9.9'))).toBe(false);
    expect(mayMatch(r('10.0.1.99', '52.216.9.9', '::ffff:52.216.8.100'))).toBe(true);
    expect(mayMatch(r('::ffff:10.0.1.77', '52.216.9.9'))).toBe(true);
    expect(mayMatch({ srcaddr: null, dstaddr: '' })).toBe(false);
  });
});
