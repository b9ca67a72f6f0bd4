import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FINDINGS } from '../../shared/endpoints/findings.js';
import { inspectUrl } from '../../shared/endpoints/inspect.js';
import type { Environment } from '../../shared/env/types.js';

const NOW = new Date('2026-01-15T10:21:00Z');

const ENV: Environment = {
  region: 'us-east-1',
  prefixLists: [],
  s3PrefixLists: [
    {
      prefixListId: 'pl-63a5400a',
      name: 'com.amazonaws.us-east-1.s3',
      cidrs: ['52.216.0.0/15', 'bad', '2600:1fa0:8000::/39'],
    },
  ],
  vpcs: [{ vpcId: 'vpc-1', cidrs: ['10.0.0.0/16'] }],
  subnets: [{ subnetId: 'subnet-1', vpcId: 'vpc-1', cidrs: ['10.0.1.0/24'], routeTableId: 'rtb-missing' }],
  routeTables: [
    { routeTableId: 'rtb-1', vpcId: 'vpc-1', routes: [{ destination: 'not-a-cidr', target: 'nat-1' }] },
  ],
  gatewayEndpoints: [],
  interfaceEndpoints: [
    {
      vpcEndpointId: 'vpce-1a2b3c4d',
      vpcId: 'vpc-1',
      serviceName: 'com.amazonaws.us-east-1.s3',
      ips: ['10.0.1.20', 'fd00::1', 'x'],
      dnsNames: [],
      privateDns: 'on',
    },
  ],
  natGateways: [],
  networkInterfaces: [],
  onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'inbound-resolver' },
};

/** Strings shaped like URLs, built from the pieces that matter to the reader. */
const urlLike = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTPS://', 's3://', '', 'https:/'),
    fc.array(
      fc.constantFrom(
        'bucket',
        's3',
        's3-accelerate',
        'dualstack',
        'us-east-1',
        'vpce-1a2b3c4d-5e6f',
        'vpce',
        'accesspoint',
        's3-global',
        'mrap',
        's3-website-us-east-1',
        's3express-use1-az4',
        'amazonaws',
        'com',
        'cn',
        '',
        '10.0.1.20',
        '[fd00::1]',
      ),
      { maxLength: 8 },
    ),
    fc.array(
      fc.constantFrom(
        '/',
        'b',
        '%',
        '%zz',
        'key',
        '?',
        '&',
        '=',
        'X-Amz-Date=20260230T250000Z',
        'X-Amz-Expires=-1',
        'X-Amz-Expires=99999999999999',
        'X-Amz-Credential=ASIA%2F%2F',
        'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256',
        'Expires=abc',
        'AWSAccessKeyId=',
        'Signature=x',
        '#',
      ),
      { maxLength: 12 },
    ),
  )
  .map(([scheme, labels, rest]) => `${scheme}${labels.join('.')}${rest.join('')}`);

describe('inspectUrl (property)', () => {
  it('never throws and always returns a redacted, well-formed inspection', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), urlLike),
        fc.boolean(),
        (s, withEnv) => {
          const r = inspectUrl(s, { now: NOW, ...(withEnv ? { env: ENV } : {}) });
          expect(typeof r.endpointKind).toBe('string');
          expect(typeof r.url).toBe('string');
          expect(Array.isArray(r.findings)).toBe(true);
          // The last-resort catch must never be what answered.
          expect(r.findings.some((f) => f.message.includes('the URL could not be inspected'))).toBe(false);
          // Every finding is the catalogue's: its code listed, its severity and text the entry's.
          for (const f of r.findings) {
            const spec = FINDINGS[f.code];
            expect(spec, f.code).toBeDefined();
            expect(f.severity, f.code).toBe(spec.severity);
            expect(f.message.startsWith(spec.text), f.code).toBe(true);
          }
          if (r.endpointKind === 'not-s3') expect(r.findings.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(urlLike, (s) => {
        expect(inspectUrl(s, { now: NOW, env: ENV })).toEqual(inspectUrl(s, { now: NOW, env: ENV }));
      }),
      { numRuns: 500 },
    );
  });

  it('survives options that are not what the types say', () => {
    const r = inspectUrl('https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Expires=10', {
      now: new Date('nonsense'),
      longExpirySeconds: Number.NaN,
      env: { region: 'us-east-1' } as unknown as Environment,
    });
    expect(r.endpointKind).toBe('regional');
    expect(inspectUrl(undefined as unknown as string, { now: NOW }).endpointKind).toBe('not-s3');
  });
});
