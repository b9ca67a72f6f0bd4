import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOUDTRAIL_RULES, classifyCloudTrailRecord } from '../../shared/classify/index.js';
import type { PathDecision } from '../../shared/classify/types.js';
import { toCloudTrailRecord } from '../../shared/cloudtrail/parser.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';

const example = (): Environment =>
  JSON.parse(
    readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
  ) as Environment;
const idx = buildEnvironmentIndex(example());

// The AWS example of a presigned ListBuckets call (cloudtrail-logging-understanding-s3-entries.md),
// flattened as the parser flattens data events (ListBuckets itself is a management event).
const awsExample = toCloudTrailRecord(
  JSON.parse(
    readFileSync(
      new URL('../fixtures/cloudtrail/aws-doc-presigned-listbuckets.json', import.meta.url),
      'utf8',
    ),
  ),
);

const event = (over: Partial<CloudTrailRecord>): CloudTrailRecord => ({
  ...awsExample,
  eventName: 'GetObject',
  eventCategory: 'Data',
  awsRegion: 'us-east-1',
  bucketName: 'amzn-s3-demo-bucket1',
  key: 'pathguard/probe-1',
  ...over,
});

function expectPath(d: PathDecision, path: PathDecision['path'], rule: string): PathDecision {
  expect(d.path).toBe(path);
  expect(d.rule).toBe(rule);
  expect(d.reason.startsWith(`${rule}: `)).toBe(true);
  return d;
}

const classify = (over: Partial<CloudTrailRecord>) => classifyCloudTrailRecord(event(over), idx);

describe('CloudTrail classification', () => {
  it('CLOUDTRAIL_GATEWAY_ENDPOINT: vpcEndpointId of a known gateway endpoint', () => {
    const d = expectPath(
      classify({ vpcEndpointId: 'vpce-0195956f54d54c70a', sourceIPAddress: '10.0.1.15' }),
      'gateway-endpoint',
      CLOUDTRAIL_RULES.GATEWAY_ENDPOINT,
    );
    expect(d.private).toBe(true);
    expect(d.reason).toContain('vpce-0195956f54d54c70a is a gateway endpoint of vpc-0e1bfdbc090daa61a');
  });

  it('CLOUDTRAIL_INTERFACE_ENDPOINT: vpcEndpointId of a known interface endpoint', () => {
    expectPath(
      classify({ vpcEndpointId: 'vpce-0fe5b17a0707d6abc', sourceIPAddress: '192.168.40.7' }),
      'interface-endpoint',
      CLOUDTRAIL_RULES.INTERFACE_ENDPOINT,
    );
  });

  it('CLOUDTRAIL_UNKNOWN_ENDPOINT: a vpcEndpointId the environment does not list is still an endpoint', () => {
    const d = expectPath(
      classify({
        vpcEndpointId: 'vpce-0aaaabbbbccccdddd',
        vpcEndpointAccountId: '444455556666',
        // A host of the other account's VPC.
        sourceIPAddress: '172.31.5.9',
      }),
      'vpc-endpoint',
      CLOUDTRAIL_RULES.UNKNOWN_ENDPOINT,
    );
    expect(d.private).toBe(true);
    expect(d.reason).toContain('endpoint account 444455556666');
  });

  it('CLOUDTRAIL_BAD_ENDPOINT_ID: a vpcEndpointId that is not a vpce- id proves no endpoint', () => {
    for (const vpcEndpointId of ['AWS Internal', 'vpce-', 'vpce-0AAAABBBB', 'vpc-0e1bfdbc090daa61a']) {
      const d = expectPath(
        classify({ vpcEndpointId, sourceIPAddress: '10.0.1.15' }),
        'unknown',
        CLOUDTRAIL_RULES.BAD_ENDPOINT_ID,
      );
      expect(d.private).toBeNull();
    }
  });

  it('CLOUDTRAIL_NAT_GATEWAY_IP: no endpoint and the NAT gateway Elastic IP', () => {
    const d = expectPath(
      classify({ sourceIPAddress: '203.0.113.25' }),
      'nat-gateway',
      CLOUDTRAIL_RULES.NAT_GATEWAY_IP,
    );
    expect(d.private).toBe(false);
  });

  it('CLOUDTRAIL_SERVICE_SOURCE: an AWS service name as source is unknown', () => {
    const d = expectPath(
      classify({ sourceIPAddress: 'athena.amazonaws.com' }),
      'unknown',
      CLOUDTRAIL_RULES.SERVICE_SOURCE,
    );
    expect(d.private).toBeNull();
  });

  it('CLOUDTRAIL_PRIVATE_ADDRESS: a private source without an endpoint id is unknown, never private', () => {
    for (const src of ['10.0.1.15', '172.20.1.1', '100.64.0.9', 'fd12::1']) {
      const d = expectPath(classify({ sourceIPAddress: src }), 'unknown', CLOUDTRAIL_RULES.PRIVATE_ADDRESS);
      expect(d.private).toBeNull();
    }
  });

  it('CLOUDTRAIL_PUBLIC_ADDRESS: any other address is public, on-prem egress named', () => {
    expect(
      expectPath(classify({ sourceIPAddress: '198.51.100.7' }), 'public', CLOUDTRAIL_RULES.PUBLIC_ADDRESS)
        .reason,
    ).toContain('on-prem public egress address');
    expectPath(classify({ sourceIPAddress: '2001:db8::77' }), 'public', CLOUDTRAIL_RULES.PUBLIC_ADDRESS);
  });

  it('CLOUDTRAIL_NO_SOURCE: neither endpoint id nor source', () => {
    expectPath(classify({ sourceIPAddress: null }), 'unknown', CLOUDTRAIL_RULES.NO_SOURCE);
  });

  it('CLOUDTRAIL_SPECIAL_ADDRESS: the AWS example logs 127.0.0.1, which shows no path', () => {
    expect(awsExample.sourceIPAddress).toBe('127.0.0.1');
    expectPath(classifyCloudTrailRecord(awsExample, idx), 'unknown', CLOUDTRAIL_RULES.SPECIAL_ADDRESS);
  });

  it('CLOUDTRAIL_OTHER_SERVICE_ENDPOINT: regression: an endpoint of another service is never S3 evidence', () => {
    // The SSM interface endpoint of the example environment.
    const ssm = expectPath(
      classify({ vpcEndpointId: 'vpce-04d1c9a7e2b3f5a68', sourceIPAddress: '10.0.1.15' }),
      'unknown',
      CLOUDTRAIL_RULES.OTHER_SERVICE_ENDPOINT,
    );
    expect(ssm.private).toBeNull();
    expect(ssm.reason).toContain('com.amazonaws.us-east-1.ssm, not S3');
    // A DynamoDB gateway endpoint.
    const env = example();
    env.gatewayEndpoints.push({
      vpcEndpointId: 'vpce-0d1b2c3a4e5f60789',
      vpcId: 'vpc-0e1bfdbc090daa61a',
      serviceName: 'com.amazonaws.us-east-1.dynamodb',
      prefixListId: 'pl-02cd2c6b',
      routeTableIds: [],
      ipAddressType: 'ipv4',
    });
    expectPath(
      classifyCloudTrailRecord(
        event({ vpcEndpointId: 'vpce-0d1b2c3a4e5f60789', sourceIPAddress: '10.0.1.15' }),
        buildEnvironmentIndex(env),
      ),
      'unknown',
      CLOUDTRAIL_RULES.OTHER_SERVICE_ENDPOINT,
    );
  });

  it('CLOUDTRAIL_ENDPOINT_CONTRADICTED: a gateway endpoint serves only its VPC, and only the families of its IP address type', () => {
    const gateway = 'vpce-0195956f54d54c70a';
    // A private address of no listed VPC, and a public one: not a host of the endpoint's VPC.
    for (const src of ['172.31.5.9', '192.0.2.10']) {
      const d = expectPath(
        classify({ vpcEndpointId: gateway, sourceIPAddress: src }),
        'unknown',
        CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED,
      );
      expect(d.reason).toContain('a gateway endpoint serves only its own VPC');
    }
    // IPv6 (the VPC's own block) through an IPv4-only endpoint (issue 10, 2: IPv6).
    const v6 = expectPath(
      classify({ vpcEndpointId: gateway, sourceIPAddress: '2600:1f18:4a3b:9c01::15' }),
      'unknown',
      CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED,
    );
    expect(v6.reason).toContain('IPv6 address and the endpoint has IP address type ipv4');
    const env = example();
    env.gatewayEndpoints[0]!.ipAddressType = 'dualstack';
    const dual = buildEnvironmentIndex(env);
    for (const src of ['2600:1f18:4a3b:9c01::15', '10.0.1.15']) {
      expectPath(
        classifyCloudTrailRecord(event({ vpcEndpointId: gateway, sourceIPAddress: src }), dual),
        'gateway-endpoint',
        CLOUDTRAIL_RULES.GATEWAY_ENDPOINT,
      );
    }
    env.gatewayEndpoints[0]!.ipAddressType = 'ipv6';
    expectPath(
      classifyCloudTrailRecord(
        event({ vpcEndpointId: gateway, sourceIPAddress: '10.0.1.15' }),
        buildEnvironmentIndex(env),
      ),
      'unknown',
      CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED,
    );
  });

  it('CLOUDTRAIL_ENDPOINT_CONTRADICTED: a NAT gateway Elastic IP never came through an endpoint', () => {
    for (const vpcEndpointId of [
      'vpce-0195956f54d54c70a',
      'vpce-0fe5b17a0707d6abc',
      'vpce-0aaaabbbbccccdddd',
    ]) {
      const d = expectPath(
        classify({ vpcEndpointId, sourceIPAddress: '203.0.113.25' }),
        'unknown',
        CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED,
      );
      expect(d.reason).toContain('NAT gateway nat-0800e2073dbe1ee03');
    }
  });

  it('an interface endpoint serves clients outside its VPC (on-prem, peered VPCs)', () => {
    for (const src of ['192.168.40.7', '172.31.5.9', '10.0.1.15']) {
      expectPath(
        classify({ vpcEndpointId: 'vpce-0fe5b17a0707d6abc', sourceIPAddress: src }),
        'interface-endpoint',
        CLOUDTRAIL_RULES.INTERFACE_ENDPOINT,
      );
    }
  });
});
