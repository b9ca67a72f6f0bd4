import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAccessLogString } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { ACCESS_RULES, classifyAccessLogRecord } from '../../shared/classify/index.js';
import type { PathDecision } from '../../shared/classify/types.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';

const example = (): Environment =>
  JSON.parse(
    readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
  ) as Environment;
const idx = buildEnvironmentIndex(example());

// The current AWS LogFormat.md example line (test/fixtures/access-logs/aws-doc-current.log).
const awsLine = readFileSync(new URL('../fixtures/access-logs/aws-doc-current.log', import.meta.url), 'utf8')
  .split('\n')
  .find((l) => l.trim() !== '')!;
const parsed = parseAccessLogString(awsLine);
if (!parsed.ok) throw new Error(parsed.error.message);
const base = parsed.value;

const record = (over: Partial<AccessLogRecord>): AccessLogRecord => ({
  ...base,
  bucket: 'amzn-s3-demo-bucket1',
  hostHeader: 'amzn-s3-demo-bucket1.s3.us-east-1.amazonaws.com',
  ...over,
});

function expectPath(d: PathDecision, path: PathDecision['path'], rule: string): PathDecision {
  expect(d.path).toBe(path);
  expect(d.rule).toBe(rule);
  expect(d.reason.startsWith(`${rule}: `)).toBe(true);
  expect(d.reason).not.toMatch(/\n/);
  return d;
}

const classify = (over: Partial<AccessLogRecord>) => classifyAccessLogRecord(record(over), idx);
const ENDPOINT_HOST =
  'amzn-s3-demo-bucket1.bucket.vpce-0fe5b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com';

describe('access-log classification', () => {
  it('reads the AWS documentation example as a public request', () => {
    // Remote IP 192.0.2.3 (a documentation address, publicly routable in form).
    const d = expectPath(classifyAccessLogRecord(base, idx), 'public', ACCESS_RULES.PUBLIC_ADDRESS);
    expect(d.private).toBe(false);
  });

  it('ACCESS_NO_REMOTE_IP: no Remote IP is unknown', () => {
    const d = expectPath(classify({ remoteIp: null }), 'unknown', ACCESS_RULES.NO_REMOTE_IP);
    expect(d.private).toBeNull();
  });

  it('ACCESS_BAD_REMOTE_IP: a Remote IP that is not an address is unknown', () => {
    const d = expectPath(classify({ remoteIp: 'not-an-ip' }), 'unknown', ACCESS_RULES.BAD_REMOTE_IP);
    expect(d.reason).toContain('not-an-ip');
  });

  it('ACCESS_INTERFACE_ENDPOINT_HOST: an endpoint-specific Host and a private Remote IP', () => {
    const d = expectPath(
      classify({ remoteIp: '10.0.1.15', hostHeader: ENDPOINT_HOST }),
      'interface-endpoint',
      ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
    );
    expect(d.private).toBe(true);
    expect(d.reason).toContain('interface endpoint vpce-0fe5b17a0707d6abc');
    // An endpoint the environment does not list, recognised by the name's form.
    const unlisted = expectPath(
      classify({
        remoteIp: '172.20.1.9',
        hostHeader: 'bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
      }),
      'interface-endpoint',
      ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
    );
    expect(unlisted.reason).toContain('endpoint not in the environment');
  });

  it('ACCESS_INTERFACE_ENDPOINT_HOST: only an S3 endpoint name counts (an SSM endpoint name does not)', () => {
    expectPath(
      classify({
        remoteIp: '10.0.1.15',
        hostHeader: 'vpce-04d1c9a7e2b3f5a68-k2j4h6g8.ssm.us-east-1.vpce.amazonaws.com',
      }),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
  });

  it('ACCESS_INTERFACE_ENDPOINT_HOST: a regional name listed among the endpoint DNS names does not count', () => {
    // With private DNS the regional name also reaches the gateway endpoint (inbound-only mode), so
    // it says nothing about the kind of endpoint.
    const e = example();
    e.interfaceEndpoints[0]!.dnsNames.push('*.s3.us-east-1.amazonaws.com');
    expectPath(
      classifyAccessLogRecord(record({ remoteIp: '10.0.1.15' }), buildEnvironmentIndex(e)),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
  });

  it('ACCESS_INTERFACE_ENDPOINT_HOST: needs a private Remote IP; a public one is public', () => {
    expectPath(
      classify({ remoteIp: '198.51.100.44', hostHeader: ENDPOINT_HOST }),
      'public',
      ACCESS_RULES.PUBLIC_ADDRESS,
    );
  });

  it('ACCESS_ONPREM_CIDR: an on-prem address can only have come through an interface endpoint', () => {
    // Regional host name (private DNS via the inbound resolver): rule 2 does not apply.
    const d = expectPath(
      classify({ remoteIp: '192.168.40.7' }),
      'interface-endpoint',
      ACCESS_RULES.ONPREM_CIDR,
    );
    expect(d.reason).toContain('on-prem block 192.168.0.0/16');
  });

  it('ACCESS_PRIVATE_ADDRESS: a VPC address means a VPC endpoint of unknown kind', () => {
    const d = expectPath(classify({ remoteIp: '10.0.1.15' }), 'vpc-endpoint', ACCESS_RULES.PRIVATE_ADDRESS);
    expect(d.private).toBe(true);
    expect(d.reason).toContain('in vpc-0e1bfdbc090daa61a');
  });

  it('ACCESS_PRIVATE_ADDRESS: an IPv4 VPC block outside the private ranges counts too', () => {
    const e = example();
    e.vpcs[0]!.cidrs.push('11.0.0.0/16');
    const d = expectPath(
      classifyAccessLogRecord(record({ remoteIp: '11.0.4.2' }), buildEnvironmentIndex(e)),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
    expect(d.reason).toContain('in vpc-0e1bfdbc090daa61a');
  });

  it('ACCESS_VPC_IPV6_ADDRESS: a VPC IPv6 address is unknown, with or without an endpoint Host', () => {
    // VPC IPv6 blocks are global unicast: an egress-only internet gateway does not translate them,
    // so S3 sees this address whether or not the request went through an endpoint.
    for (const hostHeader of ['amzn-s3-demo-bucket1.s3.dualstack.us-east-1.amazonaws.com', ENDPOINT_HOST]) {
      const d = expectPath(
        classify({ remoteIp: '2600:1f18:4a3b:9c01::15', hostHeader }),
        'unknown',
        ACCESS_RULES.VPC_IPV6_ADDRESS,
      );
      expect(d.private).toBeNull();
      expect(d.reason).toContain('vpc-0e1bfdbc090daa61a');
    }
  });

  it('ACCESS_ONPREM_PUBLIC_ADDRESS: a public on-prem address may have reached S3 publicly', () => {
    const e = example();
    e.onPrem.cidrs.push('192.0.2.0/24', '2001:db8:100::/48');
    const local = buildEnvironmentIndex(e);
    for (const remoteIp of ['192.0.2.77', '2001:db8:100::9']) {
      const d = expectPath(
        classifyAccessLogRecord(record({ remoteIp, hostHeader: ENDPOINT_HOST }), local),
        'unknown',
        ACCESS_RULES.ONPREM_PUBLIC_ADDRESS,
      );
      expect(d.reason).toContain('on-prem block');
    }
  });

  it('a NAT or on-prem egress address is never private, even inside a listed private block', () => {
    // A contradictory document: the corporate egress address also inside an on-prem block, and a
    // NAT Elastic IP inside a VPC block. The egress facts win; no endpoint is claimed.
    const e = example();
    e.onPrem.cidrs.push('198.51.100.0/24');
    e.vpcs[0]!.cidrs.push('203.0.113.0/24');
    const local = buildEnvironmentIndex(e);
    expectPath(
      classifyAccessLogRecord(record({ remoteIp: '198.51.100.7', hostHeader: ENDPOINT_HOST }), local),
      'public',
      ACCESS_RULES.PUBLIC_ADDRESS,
    );
    expectPath(
      classifyAccessLogRecord(record({ remoteIp: '203.0.113.25' }), local),
      'nat-gateway',
      ACCESS_RULES.NAT_GATEWAY_IP,
    );
  });

  it('ACCESS_PRIVATE_ADDRESS: any other private range too (RFC 1918, 100.64.0.0/10, fc00::/7)', () => {
    for (const remoteIp of ['10.200.0.1', '100.64.7.1', 'fd00:ec2::5']) {
      const d = expectPath(classify({ remoteIp }), 'vpc-endpoint', ACCESS_RULES.PRIVATE_ADDRESS);
      expect(d.reason).toContain('private address');
    }
  });

  it('ACCESS_SPECIAL_ADDRESS: loopback and link-local prove no path', () => {
    for (const remoteIp of ['127.0.0.1', '169.254.169.254', '::1', 'fe80::1']) {
      const d = expectPath(classify({ remoteIp }), 'unknown', ACCESS_RULES.SPECIAL_ADDRESS);
      expect(d.private).toBeNull();
    }
  });

  it('ACCESS_NAT_GATEWAY_IP: the NAT gateway Elastic IP', () => {
    const d = expectPath(classify({ remoteIp: '203.0.113.25' }), 'nat-gateway', ACCESS_RULES.NAT_GATEWAY_IP);
    expect(d.private).toBe(false);
    expect(d.reason).toContain('NAT gateway nat-0800e2073dbe1ee03');
  });

  it('ACCESS_PUBLIC_ADDRESS: on-prem egress and other public addresses, the reason says which', () => {
    const egress = expectPath(classify({ remoteIp: '198.51.100.7' }), 'public', ACCESS_RULES.PUBLIC_ADDRESS);
    expect(egress.reason).toContain('on-prem public egress address 198.51.100.7');
    const other = expectPath(
      classify({ remoteIp: '2001:db8:ffff::1' }),
      'public',
      ACCESS_RULES.PUBLIC_ADDRESS,
    );
    expect(other.reason).toContain('public address not in the environment');
  });

  it('the Host header does not make a public request private, nor does a regional name make a private one public', () => {
    expectPath(
      classify({ remoteIp: '203.0.113.25', hostHeader: ENDPOINT_HOST }),
      'nat-gateway',
      ACCESS_RULES.NAT_GATEWAY_IP,
    );
    expectPath(
      classify({ remoteIp: '10.0.1.15', hostHeader: null }),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
  });

  it('regression: a VPC address that onPrem.cidrs also holds is a VPC endpoint, not an interface endpoint', () => {
    // On-prem declared as all of 10.0.0.0/8, which holds the VPC: the VPC host may have used the
    // gateway endpoint, so rule 3 (VPC) comes before rule 4 (on-prem).
    const env = example();
    env.onPrem.cidrs.push('10.0.0.0/8');
    const d = expectPath(
      classifyAccessLogRecord(record({ remoteIp: '10.0.1.15' }), buildEnvironmentIndex(env)),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
    expect(d.reason).toContain('in vpc-0e1bfdbc090daa61a (also in on-prem block 10.0.0.0/8');
    // Outside every VPC block the on-prem rule still applies.
    expectPath(
      classifyAccessLogRecord(record({ remoteIp: '10.200.0.9' }), buildEnvironmentIndex(env)),
      'interface-endpoint',
      ACCESS_RULES.ONPREM_CIDR,
    );
  });

  it('ACCESS_PRIVATE_ADDRESS: an address of several overlapping VPCs names them all and claims no path kind', () => {
    const env = example();
    env.vpcs.push({ vpcId: 'vpc-0b0b0b0b0b0b0b0b0', cidrs: ['10.0.0.0/8'] });
    env.onPrem.cidrs.push('10.0.1.0/24');
    const d = expectPath(
      classifyAccessLogRecord(record({ remoteIp: '10.0.1.15' }), buildEnvironmentIndex(env)),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
    expect(d.reason).toContain(
      'in 2 overlapping VPCs (vpc-0e1bfdbc090daa61a, vpc-0b0b0b0b0b0b0b0b0), which one the log does not say',
    );
  });

  it('regression: interface endpoints of other services are never S3 interface-endpoint evidence', () => {
    // The SSM endpoint's ENI address as Remote IP is just a VPC address (S3 logs the requester).
    expectPath(classify({ remoteIp: '10.0.3.77' }), 'vpc-endpoint', ACCESS_RULES.PRIVATE_ADDRESS);
    // Its DNS name as Host does not make an interface-endpoint request either.
    expectPath(
      classify({
        remoteIp: '10.0.1.15',
        hostHeader: 'vpce-04d1c9a7e2b3f5a68-k2j4h6g8.ssm.us-east-1.vpce.amazonaws.com',
      }),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
    // An S3-form name carrying the SSM endpoint's id is not an S3 endpoint name.
    const d = expectPath(
      classify({
        remoteIp: '10.0.1.15',
        hostHeader: 'b.bucket.vpce-04d1c9a7e2b3f5a68-k2j4h6g8.s3.us-east-1.vpce.amazonaws.com',
      }),
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
    );
    expect(d.reason).not.toContain('vpce-04d1c9a7e2b3f5a68');
  });
});
