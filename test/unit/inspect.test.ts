import { describe, expect, it } from 'vitest';
import { inspectUrl, type UrlFindingCode, type UrlInspection } from '../../shared/endpoints/inspect.js';
import type { Environment, InterfaceEndpoint } from '../../shared/env/types.js';
import { presign, SIGNED_AT, secretsOf, TEMPORARY } from './presigned-urls.js';

const NOW = new Date(SIGNED_AT.getTime() + 60_000);
const codes = (r: UrlInspection) => r.findings.map((f) => f.code);
const finding = (r: UrlInspection, code: UrlFindingCode) => r.findings.find((f) => f.code === code);

/**
 * One us-east-1 VPC with a gateway endpoint on its route table (NAT default route), an S3 interface
 * endpoint and on-prem DNS through a Route 53 inbound resolver. Prefix list id and CIDRs as in the
 * environment example of the classification spec (com.amazonaws.us-east-1.s3).
 */
function environment(overrides: Partial<Environment> = {}): Environment {
  return {
    region: 'us-east-1',
    prefixLists: [],
    s3PrefixLists: [
      {
        prefixListId: 'pl-63a5400a',
        name: 'com.amazonaws.us-east-1.s3',
        cidrs: ['52.216.0.0/15', '2600:1fa0:8000::/39'],
      },
    ],
    vpcs: [{ vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.0.0/16'] }],
    subnets: [
      { subnetId: 'subnet-0aaa', vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.1.0/24'], routeTableId: 'rtb-0aaa' },
    ],
    routeTables: [
      {
        routeTableId: 'rtb-0aaa',
        vpcId: 'vpc-0a1b2c3d',
        routes: [
          { destination: '10.0.0.0/16', target: 'local' },
          { destination: '0.0.0.0/0', target: 'nat-0f1e2d3c' },
          { destination: 'pl-63a5400a', target: 'vpce-0gw11111' },
        ],
      },
    ],
    gatewayEndpoints: [
      {
        vpcEndpointId: 'vpce-0gw11111',
        vpcId: 'vpc-0a1b2c3d',
        serviceName: 'com.amazonaws.us-east-1.s3',
        prefixListId: 'pl-63a5400a',
        routeTableIds: ['rtb-0aaa'],
        ipAddressType: 'ipv4',
      },
    ],
    interfaceEndpoints: [s3Interface('inbound-only')],
    natGateways: [
      {
        natGatewayId: 'nat-0f1e2d3c',
        subnetId: 'subnet-0pub',
        eniIds: ['eni-0nat'],
        privateIps: ['10.0.0.10'],
        publicIps: ['198.51.100.7'],
      },
    ],
    networkInterfaces: [],
    onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: ['203.0.113.10'], dnsMode: 'inbound-resolver' },
    ...overrides,
  };
}

function s3Interface(privateDns: InterfaceEndpoint['privateDns']): InterfaceEndpoint {
  return {
    vpcEndpointId: 'vpce-1a2b3c4d',
    vpcId: 'vpc-0a1b2c3d',
    serviceName: 'com.amazonaws.us-east-1.s3',
    ips: ['10.0.1.20', '10.0.2.20'],
    dnsNames: ['*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com'],
    privateDns,
  };
}

const regional = () => presign({ region: 'us-east-1' }, 'my-bucket');

// AWS S3 API reference, "Signing and authenticating REST requests", query string authentication (SigV2).
const AWS_DOC_SIGV2 =
  'https://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620';

describe('inspectUrl: reading', () => {
  it('reads a regional SigV4 URL from the JS SDK', async () => {
    const url = await regional();
    const r = inspectUrl(url, { now: NOW });
    expect(r).toMatchObject({
      scheme: 'https',
      host: 'my-bucket.s3.us-east-1.amazonaws.com',
      bucket: 'my-bucket',
      key: 'reports/2026/q1.csv',
      region: 'us-east-1',
      partition: 'aws',
      endpointKind: 'regional',
      addressingStyle: 'virtual',
      signature: {
        version: 'sigv4',
        credentialKind: 'long-term',
        signedAt: '2026-01-15T10:20:00Z',
        expiresAt: '2026-01-15T10:35:00Z',
        expiresInSeconds: 840,
        lifetimeSeconds: 900,
        signingRegion: 'us-east-1',
        signingService: 's3',
      },
      expectedPath: { vpc: 'unknown', onprem: 'unknown' },
    });
    expect(r.findings).toEqual([]);
  });

  it('redacts the URL it returns', async () => {
    const url = await presign({ region: 'us-east-1' }, 'my-bucket', { credentials: TEMPORARY });
    const r = inspectUrl(url, { now: NOW });
    const json = JSON.stringify(r);
    for (const s of secretsOf(url))
      expect(json.includes(s) || json.includes(encodeURIComponent(s))).toBe(false);
    expect(r.url).toContain('X-Amz-Signature=REDACTED');
  });

  it('takes the Region from the credential scope when the host names none', async () => {
    const r = inspectUrl(await presign({ region: 'us-west-2', useAccelerateEndpoint: true }, 'my-bucket'), {
      now: NOW,
    });
    expect(r).toMatchObject({ endpointKind: 'accelerate', region: 'us-west-2' });
  });

  it('reads a SigV2 URL: expiry from Expires, no signing time', () => {
    const r = inspectUrl(AWS_DOC_SIGV2, { now: new Date('2007-03-29T03:00:00Z') });
    expect(r.signature).toMatchObject({
      version: 'sigv2',
      credentialKind: 'long-term',
      signedAt: null,
      expiresAt: '2007-03-29T03:40:20Z',
      expiresInSeconds: 2420,
    });
  });

  it('reads SigV4a (Multi-Region Access Point) query authentication', () => {
    // Host from the SDK rules tests; SigV4a drops the Region from the scope and signs for a Region set.
    const url =
      'https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fs3%2Faws4_request&X-Amz-Date=20260115T102000Z&X-Amz-Expires=900&X-Amz-Region-Set=%2A&X-Amz-SignedHeaders=host&X-Amz-Signature=3045022100ab';
    const r = inspectUrl(url, { now: NOW });
    expect(r).toMatchObject({
      endpointKind: 'mrap',
      region: null,
      signature: { version: 'sigv4a', signingRegion: '*', signingService: 's3' },
    });
    expect(codes(r)).not.toContain('MALFORMED_SIGNATURE');
  });

  it('reads a path-style interface-endpoint URL and names the endpoint', async () => {
    const url = await presign(
      {
        region: 'us-east-1',
        forcePathStyle: true,
        endpoint: 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
      },
      'my-bucket',
    );
    const r = inspectUrl(url, { now: NOW });
    expect(r).toMatchObject({
      endpointKind: 'interface-endpoint',
      bucket: 'my-bucket',
      addressingStyle: 'path',
      endpoint: { vpceId: 'vpce-1a2b3c4d' },
    });
  });

  it('reads an access point URL made from an access point ARN', async () => {
    const r = inspectUrl(
      await presign({ region: 'us-west-2' }, 'arn:aws:s3:us-west-2:123456789012:accesspoint/myendpoint'),
      { now: NOW },
    );
    expect(r).toMatchObject({
      endpointKind: 'access-point',
      region: 'us-west-2',
      bucket: null,
      endpoint: { accessPoint: { name: 'myendpoint', accountId: '123456789012' } },
    });
  });

  it('sorts findings most severe first', async () => {
    const url = (
      await presign({ region: 'us-east-1', useGlobalEndpoint: true }, 'my-bucket', {
        credentials: TEMPORARY,
        expiresIn: 7200,
      })
    ).replace('https:', 'http:');
    const severities = inspectUrl(url, { now: NOW }).findings.map((f) => f.severity);
    expect(severities).toEqual(['high', 'high', 'medium', 'info']);
  });
});

describe('inspectUrl: one test per finding', () => {
  it('INVALID_URL: a string that is not a URL is not-s3', () => {
    for (const s of ['not a url', '', '   ', 'https://', '//bucket.s3.amazonaws.com/k']) {
      const r = inspectUrl(s, { now: NOW });
      expect(r.endpointKind).toBe('not-s3');
      expect(codes(r)).toEqual(['INVALID_URL']);
    }
  });

  it('UNSUPPORTED_SCHEME: s3:// and other schemes', () => {
    const r = inspectUrl('s3://my-bucket/reports/q1.csv', { now: NOW });
    expect(r).toMatchObject({ endpointKind: 'not-s3', scheme: 's3' });
    expect(codes(r)).toEqual(['UNSUPPORTED_SCHEME']);
  });

  it('NOT_S3: an unsigned URL on a host S3 does not own', () => {
    const r = inspectUrl('https://downloads.example.com/report.csv', { now: NOW });
    expect(r).toMatchObject({ endpointKind: 'not-s3', expectedPath: { vpc: 'not-s3', onprem: 'not-s3' } });
    expect(codes(r)).toContain('NOT_S3');
  });

  it('CUSTOM_ENDPOINT: a URL signed for S3 on another host is custom, read path-style', () => {
    const url =
      'http://127.0.0.1:9000/probe-bucket/probes/p1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T102000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=00ff';
    const r = inspectUrl(url, { now: NOW });
    expect(r).toMatchObject({
      endpointKind: 'custom',
      host: '127.0.0.1:9000',
      bucket: 'probe-bucket',
      key: 'probes/p1',
      region: 'us-east-1',
      partition: null,
    });
    expect(codes(r)).toContain('CUSTOM_ENDPOINT');
    expect(codes(r)).not.toContain('NOT_S3');
  });

  it('INSECURE_HTTP: plain http', async () => {
    const r = inspectUrl((await regional()).replace('https:', 'http:'), { now: NOW });
    expect(finding(r, 'INSECURE_HTTP')?.severity).toBe('high');
  });

  it('LEGACY_GLOBAL_ENDPOINT: the JS SDK with useGlobalEndpoint, and the boto3 default path form', async () => {
    const r = inspectUrl(await presign({ region: 'us-east-1', useGlobalEndpoint: true }, 'my-bucket'), {
      now: NOW,
    });
    expect(r).toMatchObject({ endpointKind: 'global', region: 'us-east-1' });
    expect(finding(r, 'LEGACY_GLOBAL_ENDPOINT')?.severity).toBe('high');
    const path = inspectUrl('https://s3.amazonaws.com/my-bucket/key.txt', { now: NOW });
    expect(codes(path)).toContain('LEGACY_GLOBAL_ENDPOINT');
  });

  it('LEGACY_DASH_REGION_ENDPOINT: dash-Region and s3-external-1 names', () => {
    for (const host of ['my-bucket.s3-us-west-2.amazonaws.com', 's3-external-1.amazonaws.com/my-bucket']) {
      const r = inspectUrl(`https://${host}/k`, { now: NOW });
      expect(finding(r, 'LEGACY_DASH_REGION_ENDPOINT')?.severity, host).toBe('medium');
    }
  });

  it('PUBLIC_ONLY_ENDPOINT: Transfer Acceleration and website endpoints', async () => {
    const accel = inspectUrl(
      await presign(
        { region: 'us-west-2', useAccelerateEndpoint: true, useDualstackEndpoint: true },
        'my-bucket',
      ),
      { now: NOW },
    );
    expect(finding(accel, 'PUBLIC_ONLY_ENDPOINT')?.severity).toBe('high');
    const site = inspectUrl('http://bucket-name.s3-website-us-east-1.amazonaws.com/index.html', { now: NOW });
    expect(site.endpointKind).toBe('website');
    expect(codes(site)).toEqual(expect.arrayContaining(['PUBLIC_ONLY_ENDPOINT', 'INSECURE_HTTP']));
  });

  it('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT: one severity (medium) with or without an environment; the path findings carry the leaving', () => {
    const url = 'https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/k';
    const bare = inspectUrl(url, { now: NOW });
    expect(finding(bare, 'MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT')?.severity).toBe('medium');
    expect(codes(bare)).not.toContain('VPC_NOT_PRIVATE');
    const r = inspectUrl(url, { now: NOW, env: environment() });
    const mrap = finding(r, 'MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT');
    expect(mrap?.severity).toBe('medium');
    expect(mrap?.message).toContain('the environment has none for the VPC or on premises');
    expect(r.expectedPath).toMatchObject({ vpc: 'nat-gateway', onprem: 'public' });
    // The environment lacks the endpoint: leaving is reported at high, once per vantage.
    expect(finding(r, 'VPC_NOT_PRIVATE')?.severity).toBe('high');
    expect(finding(r, 'ONPREM_NOT_PRIVATE')?.severity).toBe('high');
  });

  it('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT is not raised when the s3-global.accesspoint endpoint has private DNS', () => {
    const mrap: InterfaceEndpoint = {
      vpcEndpointId: 'vpce-0mrap',
      vpcId: 'vpc-0a1b2c3d',
      serviceName: 'com.amazonaws.s3-global.accesspoint',
      ips: ['10.0.1.30'],
      dnsNames: [],
      privateDns: 'on',
    };
    const env = environment({ interfaceEndpoints: [s3Interface('inbound-only'), mrap] });
    const r = inspectUrl('https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/k', {
      now: NOW,
      env,
    });
    expect(codes(r)).not.toContain('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT');
    expect(r.expectedPath).toMatchObject({ vpc: 'interface-endpoint', onprem: 'interface-endpoint' });
  });

  it('PATH_STYLE_URL: forcePathStyle, and the SDK fallback for a bucket name with dots', async () => {
    const forced = inspectUrl(await presign({ region: 'us-west-2', forcePathStyle: true }, 'my-bucket'), {
      now: NOW,
    });
    expect(forced).toMatchObject({
      addressingStyle: 'path',
      bucket: 'my-bucket',
      key: 'reports/2026/q1.csv',
    });
    expect(finding(forced, 'PATH_STYLE_URL')?.severity).toBe('low');
    const dotted = inspectUrl(await presign({ region: 'us-east-1' }, 'bucket.name'), { now: NOW });
    expect(dotted).toMatchObject({ host: 's3.us-east-1.amazonaws.com', bucket: 'bucket.name' });
    expect(codes(dotted)).toContain('PATH_STYLE_URL');
  });

  it('DOTTED_BUCKET_VIRTUAL_HOST: a dotted bucket in the host over HTTPS', () => {
    const r = inspectUrl('https://my.bucket.s3.us-east-1.amazonaws.com/k', { now: NOW });
    expect(r.bucket).toBe('my.bucket');
    expect(codes(r)).toContain('DOTTED_BUCKET_VIRTUAL_HOST');
  });

  it('DUALSTACK_ENDPOINT and FIPS_ENDPOINT: informational notes', async () => {
    const r = inspectUrl(
      await presign({ region: 'us-west-2', useFipsEndpoint: true, useDualstackEndpoint: true }, 'my-bucket'),
      { now: NOW },
    );
    expect(r.endpointKind).toBe('fips');
    expect(r.findings.filter((f) => f.severity === 'info').map((f) => f.code)).toEqual([
      'DUALSTACK_ENDPOINT',
      'FIPS_ENDPOINT',
    ]);
  });

  it('CONTROL_PLANE_ENDPOINT: S3 Control names', () => {
    const r = inspectUrl(
      'https://123456789012.s3-control.us-west-2.amazonaws.com/v20180820/accesspoint/myendpoint',
      { now: NOW },
    );
    expect(codes(r)).toContain('CONTROL_PLANE_ENDPOINT');
    expect(codes(r)).not.toContain('PATH_STYLE_URL');
  });

  it('NOT_PRESIGNED: no query authentication', () => {
    const r = inspectUrl('https://my-bucket.s3.us-east-1.amazonaws.com/public/logo.png', { now: NOW });
    expect(r.signature.version).toBe('none');
    expect(codes(r)).toEqual(['NOT_PRESIGNED']);
  });

  it('SIGV2: botocore-style query authentication', () => {
    const r = inspectUrl(AWS_DOC_SIGV2, { now: new Date('2007-03-29T03:00:00Z') });
    expect(finding(r, 'SIGV2')?.severity).toBe('medium');
    expect(codes(r)).not.toContain('MALFORMED_SIGNATURE');
  });

  it('MALFORMED_SIGNATURE: missing X-Amz-Date, non-numeric X-Amz-Expires, unknown algorithm, empty SigV2 signature', async () => {
    const url = await regional();
    for (const bad of [
      url.replace(/&X-Amz-Date=[^&]+/, ''),
      url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=soon'),
      url.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1'),
      url.replace(/X-Amz-Credential=[^&]+/, 'X-Amz-Credential=AKIAIOSFODNN7EXAMPLE'),
      AWS_DOC_SIGV2.replace(/Signature=[^&]+/, 'Signature='),
    ]) {
      expect(finding(inspectUrl(bad, { now: NOW }), 'MALFORMED_SIGNATURE')?.severity).toBe('medium');
    }
  });

  it('DUPLICATE_AUTH_PARAMETER: a repeated signature parameter', async () => {
    const url = `${await regional()}&X-Amz-Signature=${'0'.repeat(64)}`;
    const r = inspectUrl(url, { now: NOW });
    expect(finding(r, 'DUPLICATE_AUTH_PARAMETER')?.message).toContain('x-amz-signature');
    expect(r.url).not.toContain('0'.repeat(64));
  });

  it('EXPIRY_OVER_SIGV4_MAXIMUM: X-Amz-Expires over 604800 s', async () => {
    const r = inspectUrl((await regional()).replace('X-Amz-Expires=900', 'X-Amz-Expires=604801'), {
      now: NOW,
    });
    expect(finding(r, 'EXPIRY_OVER_SIGV4_MAXIMUM')?.severity).toBe('medium');
    const max = inspectUrl((await regional()).replace('X-Amz-Expires=900', 'X-Amz-Expires=604800'), {
      now: NOW,
    });
    expect(codes(max)).not.toContain('EXPIRY_OVER_SIGV4_MAXIMUM');
  });

  it('LONG_EXPIRY: over one hour by default, configurable, not at exactly the threshold', async () => {
    const twoHours = await presign({ region: 'us-east-1' }, 'my-bucket', { expiresIn: 7200 });
    expect(finding(inspectUrl(twoHours, { now: NOW }), 'LONG_EXPIRY')?.message).toContain('2 h');
    expect(codes(inspectUrl(twoHours, { now: NOW, longExpirySeconds: 7200 }))).not.toContain('LONG_EXPIRY');
    expect(
      codes(
        inspectUrl(await presign({ region: 'us-east-1' }, 'my-bucket', { expiresIn: 3600 }), { now: NOW }),
      ),
    ).not.toContain('LONG_EXPIRY');
    expect(codes(inspectUrl(await regional(), { now: NOW, longExpirySeconds: 600 }))).toContain(
      'LONG_EXPIRY',
    );
    // SigV2 carries no lifetime: the remaining time is judged.
    expect(codes(inspectUrl(AWS_DOC_SIGV2, { now: new Date('2007-03-29T00:00:00Z') }))).toContain(
      'LONG_EXPIRY',
    );
  });

  it('EXPIRED: at and after X-Amz-Date + X-Amz-Expires', async () => {
    const url = await regional();
    const at = new Date('2026-01-15T10:35:00Z');
    expect(codes(inspectUrl(url, { now: new Date(at.getTime() - 1000) }))).not.toContain('EXPIRED');
    const r = inspectUrl(url, { now: at });
    expect(codes(r)).toContain('EXPIRED');
    expect(r.signature.expiresInSeconds).toBe(0);
    expect(
      inspectUrl(url, { now: new Date('2026-01-16T00:00:00Z') }).signature.expiresInSeconds,
    ).toBeLessThan(0);
  });

  it('SIGNED_IN_FUTURE: signing time over 15 minutes after the inspection time', async () => {
    const url = await regional();
    expect(codes(inspectUrl(url, { now: new Date('2026-01-15T10:00:00Z') }))).toContain('SIGNED_IN_FUTURE');
    expect(codes(inspectUrl(url, { now: new Date('2026-01-15T10:10:00Z') }))).not.toContain(
      'SIGNED_IN_FUTURE',
    );
  });

  it('CREDENTIAL_REGION_MISMATCH: scope Region differs from the host Region', async () => {
    const url = (await presign({ region: 'us-west-2' }, 'my-bucket')).replace('s3.us-west-2', 's3.us-east-1');
    const r = inspectUrl(url, { now: NOW });
    expect(finding(r, 'CREDENTIAL_REGION_MISMATCH')?.message).toContain('us-west-2');
    expect(r.region).toBe('us-east-1');
  });

  it('CREDENTIAL_DATE_MISMATCH: scope date differs from the X-Amz-Date day', async () => {
    const url = (await regional()).replace('%2F20260115%2F', '%2F20260114%2F');
    expect(codes(inspectUrl(url, { now: NOW }))).toContain('CREDENTIAL_DATE_MISMATCH');
  });

  it('SESSION_TOKEN_MISMATCH: temporary key without a token', async () => {
    const url = (await presign({ region: 'us-east-1' }, 'my-bucket', { credentials: TEMPORARY })).replace(
      /&X-Amz-Security-Token=[^&]+/,
      '',
    );
    expect(codes(inspectUrl(url, { now: NOW }))).toContain('SESSION_TOKEN_MISMATCH');
  });

  it('TEMPORARY_CREDENTIALS: an ASIA key with a session token', async () => {
    const r = inspectUrl(await presign({ region: 'us-east-1' }, 'my-bucket', { credentials: TEMPORARY }), {
      now: NOW,
    });
    expect(r.signature).toMatchObject({ credentialKind: 'temporary', hasSessionToken: true });
    expect(codes(r)).toEqual(['TEMPORARY_CREDENTIALS']);
  });

  it('INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT: a vpce name of another endpoint', async () => {
    const url = await presign(
      { region: 'us-east-1', endpoint: 'https://bucket.vpce-0ffff999-abcd.s3.us-east-1.vpce.amazonaws.com' },
      'my-bucket',
    );
    const r = inspectUrl(url, { now: NOW, env: environment() });
    expect(codes(r)).toContain('INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT');
    expect(r.expectedPath).toMatchObject({ vpc: 'interface-endpoint', onprem: 'interface-endpoint' });
  });

  it('CROSS_REGION_FOR_GATEWAY_ENDPOINT: a bucket in another Region than the environment', async () => {
    const r = inspectUrl(await presign({ region: 'eu-west-1' }, 'my-bucket'), {
      now: NOW,
      env: environment(),
    });
    expect(finding(r, 'CROSS_REGION_FOR_GATEWAY_ENDPOINT')?.severity).toBe('high');
    expect(r.expectedPath.vpc).toBe('nat-gateway');
  });

  it('VPC_NOT_PRIVATE: no gateway endpoint route in the subnet', async () => {
    const env = environment({ gatewayEndpoints: [] });
    env.routeTables[0]!.routes = env.routeTables[0]!.routes.filter((r) => !r.destination.startsWith('pl-'));
    const r = inspectUrl(await regional(), { now: NOW, env });
    expect(r.expectedPath.vpc).toBe('nat-gateway');
    expect(finding(r, 'VPC_NOT_PRIVATE')?.severity).toBe('high');
  });

  it('ONPREM_NOT_PRIVATE: public on-prem DNS resolves the regional name to public addresses', async () => {
    const env = environment({
      onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: [], dnsMode: 'public' },
    });
    const r = inspectUrl(await regional(), { now: NOW, env });
    expect(r.expectedPath.onprem).toBe('public');
    expect(finding(r, 'ONPREM_NOT_PRIVATE')?.severity).toBe('high');
  });
});

describe('inspectUrl: expected path per vantage', () => {
  it('is unknown for both vantages without an environment', async () => {
    expect(inspectUrl(await regional(), { now: NOW }).expectedPath).toEqual({
      vpc: 'unknown',
      onprem: 'unknown',
      reasons: { vpc: 'no environment given', onprem: 'no environment given' },
    });
  });

  it('regional name, gateway endpoint and inbound-only private DNS: gateway from the VPC, interface endpoint from on-prem', async () => {
    const r = inspectUrl(await regional(), { now: NOW, env: environment() });
    expect(r.expectedPath).toMatchObject({ vpc: 'gateway-endpoint', onprem: 'interface-endpoint' });
    expect(r.expectedPath.reasons.vpc).toContain('vpce-0gw11111');
    expect(r.findings).toEqual([]);
  });

  it.each([
    ['off', 'inbound-resolver', 'gateway-endpoint', 'public'],
    ['on', 'inbound-resolver', 'interface-endpoint', 'interface-endpoint'],
    ['inbound-only', 'inbound-resolver', 'gateway-endpoint', 'interface-endpoint'],
    ['on', 'public', 'interface-endpoint', 'public'],
    ['inbound-only', 'public', 'gateway-endpoint', 'public'],
  ] as const)(
    'private DNS %s with on-prem DNS %s: vpc %s, on-prem %s',
    async (privateDns, dnsMode, vpc, onprem) => {
      const env = environment({
        interfaceEndpoints: [s3Interface(privateDns)],
        onPrem: { cidrs: [], publicEgressIps: [], dnsMode },
      });
      expect(inspectUrl(await regional(), { now: NOW, env }).expectedPath).toMatchObject({ vpc, onprem });
    },
  );

  it('vpce names take the interface endpoint from both vantages, whatever the DNS setup', async () => {
    const env = environment({
      interfaceEndpoints: [s3Interface('off')],
      onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
    });
    const url = await presign(
      { region: 'us-east-1', endpoint: 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com' },
      'my-bucket',
    );
    const r = inspectUrl(url, { now: NOW, env });
    expect(r.expectedPath).toMatchObject({ vpc: 'interface-endpoint', onprem: 'interface-endpoint' });
    expect(r.findings).toEqual([]);
  });

  it('legacy global name: gateway endpoint in us-east-1 by IP, never private from on-prem', async () => {
    const r = inspectUrl(await presign({ region: 'us-east-1', useGlobalEndpoint: true }, 'my-bucket'), {
      now: NOW,
      env: environment(),
    });
    expect(r.expectedPath).toMatchObject({ vpc: 'gateway-endpoint', onprem: 'public' });
    expect(codes(r)).toEqual(['LEGACY_GLOBAL_ENDPOINT', 'ONPREM_NOT_PRIVATE']);
  });

  it('global name with SigV2 carries no Region: the VPC path is unknown', () => {
    const url =
      'https://my-bucket.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc%3D&Expires=1768473000';
    expect(inspectUrl(url, { now: NOW, env: environment() }).expectedPath.vpc).toBe('unknown');
  });

  it('a more specific route to NAT that overlaps the prefix list makes the VPC path unknown, never gateway', async () => {
    const env = environment();
    env.routeTables[0]!.routes.push({ destination: '52.217.0.0/16', target: 'nat-0f1e2d3c' });
    const r = inspectUrl(await regional(), { now: NOW, env });
    expect(r.expectedPath.vpc).toBe('unknown');
    expect(r.expectedPath.reasons.vpc).toContain('52.217.0.0/16');
    // A wider route does not win over the prefix list.
    const wide = environment();
    wide.routeTables[0]!.routes.push({ destination: '52.0.0.0/8', target: 'igw-0abc' });
    expect(inspectUrl(await regional(), { now: NOW, env: wide }).expectedPath.vpc).toBe('gateway-endpoint');
  });

  it('a customer prefix list routing one S3 block to NAT beats the S3 prefix-list route for that block (issue 10 §1.2 regression)', async () => {
    const env = environment({
      prefixLists: [{ prefixListId: 'pl-0c0ffee0', name: 'egress-inspection', cidrs: ['52.216.8.0/24'] }],
    });
    env.routeTables[0]!.routes.push({ destination: 'pl-0c0ffee0', target: 'nat-0f1e2d3c' });
    const r = inspectUrl(await regional(), { now: NOW, env, subnetId: 'subnet-0aaa' });
    expect(r.expectedPath.vpc).toBe('unknown');
    expect(r.expectedPath.vpcRoutes?.map((x) => [x.path, x.destination, x.pieces])).toEqual([
      [
        'gateway-endpoint',
        'pl-63a5400a',
        [
          { first: '52.216.0.0', last: '52.216.7.255' },
          { first: '52.216.9.0', last: '52.217.255.255' },
        ],
      ],
      ['nat-gateway', 'pl-0c0ffee0', [{ first: '52.216.8.0', last: '52.216.8.255' }]],
    ]);
    expect(finding(r, 'VPC_NOT_PRIVATE')?.message).toContain(
      'subnet-0aaa: 52.216.8.0/24: nat-gateway, rtb-0aaa routes pl-0c0ffee0 to nat-0f1e2d3c',
    );
    // Its entries outside the S3 ranges take nothing from the endpoint.
    const harmless = environment({
      prefixLists: [{ prefixListId: 'pl-0c0ffee0', name: 'egress-inspection', cidrs: ['8.8.8.0/24'] }],
    });
    harmless.routeTables[0]!.routes.push({ destination: 'pl-0c0ffee0', target: 'nat-0f1e2d3c' });
    const ok = inspectUrl(await regional(), { now: NOW, env: harmless, subnetId: 'subnet-0aaa' });
    expect(ok.expectedPath.vpc).toBe('gateway-endpoint');
    expect(codes(ok)).toEqual([]);
  });

  it('a prefix list routed to an unknown list of blocks leaves the VPC path unknown, never gateway', async () => {
    const env = environment();
    env.routeTables[0]!.routes.push({ destination: 'pl-0deadbee', target: 'nat-0f1e2d3c' });
    const r = inspectUrl(await regional(), { now: NOW, env });
    expect(r.expectedPath.vpc).toBe('unknown');
    expect(r.expectedPath.reasons.vpc).toContain('pl-0deadbee → nat-0f1e2d3c cannot be resolved');
  });

  it('subnets with different route tables: unknown overall, decided per subnet with subnetId', async () => {
    const env = environment();
    env.subnets.push({
      subnetId: 'subnet-0bbb',
      vpcId: 'vpc-0a1b2c3d',
      cidrs: ['10.0.2.0/24'],
      routeTableId: 'rtb-0bbb',
    });
    env.routeTables.push({
      routeTableId: 'rtb-0bbb',
      vpcId: 'vpc-0a1b2c3d',
      routes: [{ destination: '0.0.0.0/0', target: 'igw-0abc' }],
    });
    const url = await regional();
    const all = inspectUrl(url, { now: NOW, env });
    expect(all.expectedPath.vpc).toBe('unknown');
    expect(all.expectedPath.reasons.vpc).toContain('subnet-0bbb internet-gateway');
    expect(inspectUrl(url, { now: NOW, env, subnetId: 'subnet-0aaa' }).expectedPath.vpc).toBe(
      'gateway-endpoint',
    );
    expect(inspectUrl(url, { now: NOW, env, subnetId: 'subnet-0bbb' }).expectedPath.vpc).toBe(
      'internet-gateway',
    );
    expect(inspectUrl(url, { now: NOW, env, subnetId: 'subnet-0zzz' }).expectedPath.vpc).toBe('unknown');
  });

  it('dual-stack names reach the gateway endpoint only if the prefix list has IPv6 ranges and the endpoint serves IPv6', async () => {
    const url = await presign({ region: 'us-east-1', useDualstackEndpoint: true }, 'my-bucket');
    const dualstack = environment();
    dualstack.gatewayEndpoints[0]!.ipAddressType = 'dualstack';
    expect(inspectUrl(url, { now: NOW, env: dualstack }).expectedPath.vpc).toBe('gateway-endpoint');
    // aws-facts §7 item 17: an IPv4-only gateway endpoint does not carry the AAAA answers.
    const r = inspectUrl(url, { now: NOW, env: environment() });
    expect(r.expectedPath.vpc).toBe('unknown');
    expect(r.expectedPath.reasons.vpc).toContain('does not carry IPv6 traffic');
    const v4only = environment();
    v4only.s3PrefixLists[0]!.cidrs = ['52.216.0.0/15'];
    v4only.gatewayEndpoints[0]!.ipAddressType = 'dualstack';
    expect(inspectUrl(url, { now: NOW, env: v4only }).expectedPath.vpc).toBe('unknown');
  });

  it('FIPS names are not answered by private DNS: on-prem public even with an inbound resolver', async () => {
    const env = environment({ interfaceEndpoints: [s3Interface('on')] });
    const r = inspectUrl(await presign({ region: 'us-east-1', useFipsEndpoint: true }, 'my-bucket'), {
      now: NOW,
      env,
    });
    expect(r.expectedPath).toMatchObject({ vpc: 'gateway-endpoint', onprem: 'public' });
  });

  it('an interface-endpoint IP as host is the interface endpoint', () => {
    const r = inspectUrl(
      'https://10.0.1.20/my-bucket/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request',
      {
        now: NOW,
        env: environment(),
      },
    );
    expect(r).toMatchObject({
      endpointKind: 'custom',
      expectedPath: { vpc: 'interface-endpoint', onprem: 'interface-endpoint' },
    });
  });

  it('directory buckets use the s3express gateway endpoint', async () => {
    const env = environment();
    env.s3PrefixLists.push({
      prefixListId: 'pl-0e5a1b2c',
      name: 'com.amazonaws.us-east-1.s3express',
      cidrs: ['3.209.0.0/16'],
    });
    env.gatewayEndpoints.push({
      vpcEndpointId: 'vpce-0express1',
      vpcId: 'vpc-0a1b2c3d',
      serviceName: 'com.amazonaws.us-east-1.s3express',
      prefixListId: 'pl-0e5a1b2c',
      routeTableIds: ['rtb-0aaa'],
      ipAddressType: 'ipv4',
    });
    const url = await presign(
      { region: 'us-east-1', disableS3ExpressSessionAuth: true },
      'mybucket--use1-az4--x-s3',
    );
    // The association list alone is not a route: without pl-0e5a1b2c → vpce-0express1 the table sends
    // directory-bucket addresses to the NAT gateway.
    expect(inspectUrl(url, { now: NOW, env }).expectedPath.vpc).toBe('nat-gateway');
    env.routeTables[0]!.routes.push({ destination: 'pl-0e5a1b2c', target: 'vpce-0express1' });
    const r = inspectUrl(url, { now: NOW, env: { ...env } });
    expect(r).toMatchObject({
      endpointKind: 's3express',
      expectedPath: { vpc: 'gateway-endpoint', onprem: 'public' },
    });
    expect(r.expectedPath.reasons.vpc).toContain('vpce-0express1');
    expect(inspectUrl(url, { now: NOW, env: environment() }).expectedPath.vpc).toBe('nat-gateway');
  });
});
