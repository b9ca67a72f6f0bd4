import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import type { Environment } from '../../shared/env/types.js';
import { earlyVerdict } from '../../shared/probes/early-verdict.js';
import type { Observation } from '../../shared/probes/types.js';
import { observation, probe } from './loop-fixtures.js';

// The example environment (test/fixtures/env/README.md): us-east-1, S3 prefix list pl-63a5400a,
// interface-endpoint ENIs 10.0.3.24 and 10.0.3.151, one subnet per routing shape.
const env = JSON.parse(
  readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
) as Environment;
const { facts } = bindEnvironment(env);

const COMPLIANT = 'subnet-02b1377a7fd9ed705'; // S3 prefix list → gateway endpoint, default → NAT
const NO_ENDPOINT = 'subnet-054a4ac95c78dd159'; // default → NAT only
const MORE_SPECIFIC_NAT = 'subnet-09542b160134e4415'; // 52.216.0.0/16 → NAT beats the prefix list
const S3_IP = '52.216.8.100'; // in 52.216.0.0/15 of pl-63a5400a
const S3_IP_OUTSIDE_16 = '52.217.40.12'; // in the prefix list, outside the more specific /16
const VPCE_IP = '10.0.3.24';

const vpcProbe = (subnetId: string) => probe({ vantage: { id: 'vpc-app', kind: 'vpc', subnetId } });
const onpremProbe = probe({
  vantage: { id: 'onprem-dc1', kind: 'onprem' },
  expectedPath: 'interface-endpoint',
});
const onpremObs = (over: Partial<Observation>) =>
  observation({ runnerId: 'onprem-dc1', vantageKind: 'onprem', localAddress: '192.168.10.5', ...over });

describe('earlyVerdict from an observation and the environment', () => {
  it('an on-prem runner connected to an interface-endpoint address is private', () => {
    const v = earlyVerdict(onpremProbe, onpremObs({ remoteAddress: VPCE_IP }), facts);
    expect(v).toMatchObject({ verdict: 'private', path: 'interface-endpoint' });
    expect(v.reason).toContain(VPCE_IP);
  });

  it('an on-prem runner connected to anything else has left the path now', () => {
    const v = earlyVerdict(onpremProbe, onpremObs({ remoteAddress: S3_IP }), facts);
    expect(v).toMatchObject({ verdict: 'left-path', path: 'public' });
    expect(v.reason).toMatch(/on-prem runner onprem-dc1 connected to 52\.216\.8\.100/);
  });

  it('a VPC runner connected to an S3 address follows its subnet route table', () => {
    const gw = earlyVerdict(vpcProbe(COMPLIANT), observation({ remoteAddress: S3_IP }), facts);
    expect(gw).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
    expect(gw.reason).toMatch(
      /S3 address 52\.216\.8\.100 routes to vpce-0195956f54d54c70a .*confirmed by logs/,
    );

    const nat = earlyVerdict(vpcProbe(NO_ENDPOINT), observation({ remoteAddress: S3_IP }), facts);
    expect(nat).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
    expect(nat.reason).toContain('nat-0800e2073dbe1ee03');
  });

  it('a more specific NAT route beats the prefix-list route, only for the addresses it covers', () => {
    const sub = vpcProbe(MORE_SPECIFIC_NAT);
    expect(earlyVerdict(sub, observation({ remoteAddress: S3_IP }), facts)).toMatchObject({
      verdict: 'left-path',
      path: 'nat-gateway',
    });
    expect(earlyVerdict(sub, observation({ remoteAddress: S3_IP_OUTSIDE_16 }), facts)).toMatchObject({
      verdict: 'private',
      path: 'gateway-endpoint',
    });
  });

  it('a VPC runner connected to an interface-endpoint address is private whatever the routes', () => {
    expect(earlyVerdict(vpcProbe(NO_ENDPOINT), observation({ remoteAddress: VPCE_IP }), facts)).toMatchObject(
      {
        verdict: 'private',
        path: 'interface-endpoint',
      },
    );
  });

  const denied = (message: string | null, over: Partial<Observation> = {}) =>
    onpremObs({
      remoteAddress: S3_IP,
      httpStatus: 403,
      s3ErrorCode: 'AccessDenied',
      s3ErrorMessage: message,
      bodyMatches: null,
      error: { code: 'HTTP_ERROR', message: 'HTTP 403 AccessDenied' },
      ...over,
    });
  const POLICY_DENY =
    'User: arn:aws:sts::111122223333:assumed-role/pathguard-probe/pathguard-probe is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::example-data-bucket/pathguard/probes/x.bin" with an explicit deny in a resource-based policy';

  it('a 403 naming an explicit deny in a resource-based policy is blocked, naming the path', () => {
    const v = earlyVerdict(onpremProbe, denied(POLICY_DENY), facts);
    expect(v).toMatchObject({ verdict: 'blocked', path: 'public' });
    expect(v.reason).toMatch(/^RESOURCE_POLICY_DENY: /);
  });

  it('a 403 naming an explicit deny in a VPC endpoint policy is blocked', () => {
    const msg = POLICY_DENY.replace('a resource-based policy', 'a VPC endpoint policy');
    expect(earlyVerdict(vpcProbe(COMPLIANT), denied(msg, { vantageKind: 'vpc' }), facts)).toMatchObject({
      verdict: 'blocked',
      path: 'gateway-endpoint',
    });
  });

  it('an expired URL (403 "Request has expired") is not blocked: the path decides (issue 10 §1.4)', () => {
    const v = earlyVerdict(
      vpcProbe(NO_ENDPOINT),
      denied('Request has expired', { vantageKind: 'vpc' }),
      facts,
    );
    expect(v).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
  });

  it.each([
    ['a bare Access Denied', 'Access Denied'],
    ['no error message (a runner older than the field)', null],
    [
      'an identity-based policy',
      'User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:GetObject because no identity-based policy allows the s3:GetObject action',
    ],
  ])('a 403 with %s is not blocked', (_what, message) => {
    expect(earlyVerdict(onpremProbe, denied(message), facts)).toMatchObject({
      verdict: 'left-path',
      path: 'public',
    });
  });

  it('another S3 error answer still shows the path the request travelled', () => {
    const obs = observation({
      remoteAddress: S3_IP,
      httpStatus: 404,
      s3ErrorCode: 'NoSuchKey',
      error: { code: 'HTTP_ERROR', message: 'HTTP 404 NoSuchKey' },
    });
    expect(earlyVerdict(vpcProbe(NO_ENDPOINT), obs, facts)).toMatchObject({
      verdict: 'left-path',
      path: 'nat-gateway',
    });
  });

  it('makes no decision when nothing connected', () => {
    const obs = onpremObs({
      remoteAddress: null,
      httpStatus: null,
      dns: { answers: [], error: 'ENOTFOUND' },
      error: { code: 'DNS_FAILURE', message: 'ENOTFOUND' },
    });
    expect(earlyVerdict(onpremProbe, obs, facts)).toEqual({
      verdict: null,
      path: null,
      reason: 'no connection (DNS_FAILURE)',
    });
  });

  it('makes no decision when the peer is not proven to be S3 or no answer came, but names the path', () => {
    for (const code of ['TLS_ERROR', 'SHA_MISMATCH', 'TIMEOUT', 'NETWORK_ERROR'] as const) {
      const v = earlyVerdict(
        onpremProbe,
        onpremObs({ remoteAddress: S3_IP, httpStatus: null, error: { code, message: code } }),
        facts,
      );
      expect(v.verdict).toBeNull();
      expect(v.path).toBe('public');
      expect(v.reason).toContain(code);
    }
  });

  it('a VPC vantage without a subnet cannot be read from routes', () => {
    const v = earlyVerdict(
      probe({ vantage: { id: 'vpc-x', kind: 'vpc' } }),
      observation({ remoteAddress: S3_IP }),
      facts,
    );
    expect(v).toMatchObject({ verdict: null, path: 'unknown' });
  });
});
