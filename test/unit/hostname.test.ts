import { describe, expect, it } from 'vitest';
import { parseS3Hostname, readBucketAndKey, type S3Hostname } from '../../shared/endpoints/hostname.js';
import { presign } from './presigned-urls.js';

type Expected = Partial<S3Hostname>;

/**
 * Every hostname form PathGuard must read. Sources: the S3 endpoint rules tests shared by the AWS
 * SDKs (botocore tests/functional/endpoint-rules/s3/endpoint-tests-1.json, "SDK"), the S3 user
 * guide pages named per row ("AWS"), and the JS v3 client-s3 endpoint rules templates ("JS rules").
 */
const TABLE: [string, string, Expected][] = [
  // H1 virtual-hosted regional [SDK; AWS VirtualHosting.md]
  [
    'H1',
    'bucket-name.s3.us-west-2.amazonaws.com',
    {
      endpointKind: 'regional',
      region: 'us-west-2',
      partition: 'aws',
      bucket: 'bucket-name',
      addressingStyle: 'virtual',
    },
  ],
  // H2 path style [SDK]
  [
    'H2',
    's3.us-west-2.amazonaws.com',
    { endpointKind: 'regional', region: 'us-west-2', bucket: null, addressingStyle: 'path' },
  ],
  [
    'H2',
    's3.us-east-1.amazonaws.com',
    { endpointKind: 'regional', region: 'us-east-1', addressingStyle: 'path' },
  ],
  // H3 legacy global [SDK aws-global / UseGlobalEndpoint; AWS VirtualHosting.md]
  [
    'H3',
    'bucket.s3.amazonaws.com',
    {
      endpointKind: 'global',
      region: null,
      partition: 'aws',
      bucket: 'bucket',
      legacyGlobal: true,
      addressingStyle: 'virtual',
    },
  ],
  [
    'H3',
    's3.amazonaws.com',
    { endpointKind: 'global', legacyGlobal: true, bucket: null, addressingStyle: 'path' },
  ],
  // H4 legacy dash Region [AWS VirtualHosting.md "Legacy: s3-Region"]
  [
    'H4',
    'bucket.s3-us-west-2.amazonaws.com',
    { endpointKind: 'regional', region: 'us-west-2', legacyDashRegion: true, bucket: 'bucket' },
  ],
  [
    'H4',
    's3-eu-west-1.amazonaws.com',
    { endpointKind: 'regional', region: 'eu-west-1', legacyDashRegion: true, addressingStyle: 'path' },
  ],
  // H5 s3-external-1 [botocore endpoints.json]
  [
    'H5',
    's3-external-1.amazonaws.com',
    {
      endpointKind: 'regional',
      region: 'us-east-1',
      s3External1: true,
      legacyDashRegion: false,
      addressingStyle: 'path',
    },
  ],
  [
    'H5',
    'bucket.s3-external-1.amazonaws.com',
    { endpointKind: 'regional', region: 'us-east-1', s3External1: true, bucket: 'bucket' },
  ],
  // H6 dual-stack [AWS dual-stack-endpoints.md; SDK]
  [
    'H6',
    'bucket.s3.dualstack.us-west-2.amazonaws.com',
    { endpointKind: 'dualstack', region: 'us-west-2', dualstack: true, fips: false, bucket: 'bucket' },
  ],
  [
    'H6',
    's3.dualstack.us-east-1.amazonaws.com',
    { endpointKind: 'dualstack', region: 'us-east-1', dualstack: true, addressingStyle: 'path' },
  ],
  // H7 FIPS, FIPS + dual-stack [SDK]
  [
    'H7',
    'bucket.s3-fips.us-west-2.amazonaws.com',
    { endpointKind: 'fips', region: 'us-west-2', fips: true, dualstack: false, bucket: 'bucket' },
  ],
  [
    'H7',
    'bucket.s3-fips.dualstack.us-west-2.amazonaws.com',
    { endpointKind: 'fips', region: 'us-west-2', fips: true, dualstack: true, bucket: 'bucket' },
  ],
  // H8 Transfer Acceleration (+ dual-stack) [AWS transfer-acceleration.md; SDK; JS rules]
  [
    'H8',
    'bucket.s3-accelerate.amazonaws.com',
    {
      endpointKind: 'accelerate',
      region: null,
      bucket: 'bucket',
      dualstack: false,
      addressingStyle: 'virtual',
    },
  ],
  [
    'H8',
    'bucket.s3-accelerate.dualstack.amazonaws.com',
    { endpointKind: 'accelerate', dualstack: true, bucket: 'bucket' },
  ],
  [
    'H8',
    'bucket.s3-accelerate.dualstack.us-east-1.amazonaws.com',
    { endpointKind: 'accelerate', dualstack: true, region: 'us-east-1', bucket: 'bucket' },
  ],
  // H9 access points (+ dual-stack, FIPS) [SDK; JS rules]
  [
    'H9',
    'myendpoint-123456789012.s3-accesspoint.us-west-2.amazonaws.com',
    {
      endpointKind: 'access-point',
      region: 'us-west-2',
      accessPoint: { name: 'myendpoint', accountId: '123456789012' },
      bucket: null,
      addressingStyle: 'virtual',
    },
  ],
  [
    'H9',
    'myendpoint-123456789012.s3-accesspoint.dualstack.us-west-2.amazonaws.com',
    { endpointKind: 'access-point', dualstack: true, fips: false, region: 'us-west-2' },
  ],
  [
    'H9',
    'myendpoint-123456789012.s3-accesspoint-fips.us-west-2.amazonaws.com',
    { endpointKind: 'access-point', fips: true, dualstack: false },
  ],
  [
    'H9',
    'myendpoint-123456789012.s3-accesspoint-fips.dualstack.us-west-2.amazonaws.com',
    { endpointKind: 'access-point', fips: true, dualstack: true },
  ],
  // H9 access point alias used like a bucket name [AWS access-points-alias.md]
  [
    'H9',
    'my-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias.s3.us-west-2.amazonaws.com',
    {
      endpointKind: 'regional',
      bucket: 'my-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias',
      accessPointAlias: true,
    },
  ],
  // H10 Multi-Region Access Point [SDK; AWS MultiRegionAccessPointRequests.md]
  [
    'H10',
    'mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com',
    {
      endpointKind: 'mrap',
      region: null,
      partition: 'aws',
      mrapAlias: 'mfzwi23gnjvgw.mrap',
      addressingStyle: 'virtual',
    },
  ],
  // H11 interface endpoints, both addressing styles, zonal, access point, control [AWS privatelink-interface-endpoints.md; SDK]
  [
    'H11',
    'bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    {
      endpointKind: 'interface-endpoint',
      region: 'us-east-1',
      vpceId: 'vpce-1a2b3c4d',
      vpceScope: 'bucket',
      bucket: null,
      addressingStyle: 'path',
    },
  ],
  [
    'H11',
    'my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    {
      endpointKind: 'interface-endpoint',
      vpceId: 'vpce-1a2b3c4d',
      vpceScope: 'bucket',
      bucket: 'my-bucket',
      addressingStyle: 'virtual',
    },
  ],
  [
    'H11',
    'bucketname.bucket.vpce-123-abc.s3.us-west-2.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', region: 'us-west-2', vpceId: 'vpce-123', bucket: 'bucketname' },
  ],
  [
    'H11',
    'bucket.vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com',
    {
      endpointKind: 'interface-endpoint',
      vpceId: 'vpce-1a2b3c4d',
      vpceAvailabilityZone: 'us-east-1a',
      vpceDnsLabel: 'vpce-1a2b3c4d-5e6f-us-east-1a',
    },
  ],
  [
    'H11',
    'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', vpceId: 'vpce-1a2b3c4d', vpceScope: null, addressingStyle: 'path' },
  ],
  [
    'H11',
    '*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', vpceId: 'vpce-1a2b3c4d', bucket: null, addressingStyle: 'path' },
  ],
  [
    'H11',
    'accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', vpceScope: 'accesspoint', accessPoint: null },
  ],
  [
    'H11',
    'myendpoint-123456789012.accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
    {
      endpointKind: 'interface-endpoint',
      vpceScope: 'accesspoint',
      accessPoint: { name: 'myendpoint', accountId: '123456789012' },
      addressingStyle: 'virtual',
    },
  ],
  [
    'H11',
    'bucket-name.control.vpce-1a2b3c4d-5e6f.s3.us-west-2.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', service: 's3', vpceScope: 'control', bucket: 'bucket-name' },
  ],
  [
    'H11',
    '123456789012.control.vpce-1a2b3c4d-5e6f.s3.us-west-2.vpce.amazonaws.com',
    { endpointKind: 'interface-endpoint', service: 's3-control', accountId: '123456789012' },
  ],
  // H12 S3 Control [SDK]
  [
    'H12',
    '123456789012.s3-control.us-west-2.amazonaws.com',
    { endpointKind: 'regional', service: 's3-control', accountId: '123456789012', region: 'us-west-2' },
  ],
  [
    'H12',
    's3-control-fips.us-east-1.amazonaws.com',
    { endpointKind: 'fips', service: 's3-control', fips: true },
  ],
  // H13 China and GovCloud partitions [SDK]
  [
    'H13',
    'bucket-name.s3.cn-north-1.amazonaws.com.cn',
    { endpointKind: 'regional', region: 'cn-north-1', partition: 'aws-cn', bucket: 'bucket-name' },
  ],
  [
    'H13',
    's3.us-gov-west-1.amazonaws.com',
    { endpointKind: 'regional', region: 'us-gov-west-1', partition: 'aws-us-gov' },
  ],
  [
    'H13',
    's3-fips.us-gov-west-1.amazonaws.com',
    { endpointKind: 'fips', region: 'us-gov-west-1', partition: 'aws-us-gov', fips: true },
  ],
  [
    'H13',
    's3-fips-us-gov-west-1.amazonaws.com',
    { endpointKind: 'fips', region: 'us-gov-west-1', partition: 'aws-us-gov', legacyDashRegion: true },
  ],
  [
    'H13',
    'bucket.vpce-1a2b3c4d-5e6f.s3.cn-northwest-1.vpce.amazonaws.com.cn',
    { endpointKind: 'interface-endpoint', partition: 'aws-cn', region: 'cn-northwest-1' },
  ],
  // H14 website endpoints, dash and dot forms [AWS WebsiteEndpoints.md]
  [
    'H14',
    'bucket-name.s3-website-us-east-1.amazonaws.com',
    { endpointKind: 'website', region: 'us-east-1', bucket: 'bucket-name', legacyDashRegion: false },
  ],
  [
    'H14',
    'bucket-name.s3-website.eu-central-1.amazonaws.com',
    { endpointKind: 'website', region: 'eu-central-1', bucket: 'bucket-name' },
  ],
  // H15 directory buckets [SDK; JS rules]
  [
    'H15',
    'mybucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com',
    {
      endpointKind: 's3express',
      service: 's3express',
      region: 'us-east-1',
      availabilityZoneId: 'use1-az4',
      bucket: 'mybucket--use1-az4--x-s3',
    },
  ],
  [
    'H15',
    'mybucket--usw2-az1--x-s3.s3express-fips-usw2-az1.dualstack.us-west-2.amazonaws.com',
    { endpointKind: 's3express', fips: true, dualstack: true, availabilityZoneId: 'usw2-az1' },
  ],
  [
    'H15',
    's3express-control.us-east-1.amazonaws.com',
    { endpointKind: 's3express', service: 's3express-control', addressingStyle: 'path' },
  ],
  // H16 Outposts and Object Lambda [SDK; JS rules]
  [
    'H16',
    'myaccesspoint-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com',
    { endpointKind: 'access-point', service: 's3-outposts', outpostId: 'op-01234567890123456' },
  ],
  [
    'H16',
    'mybanner-123456789012.s3-object-lambda.us-west-2.amazonaws.com',
    {
      endpointKind: 'access-point',
      service: 's3-object-lambda',
      accessPoint: { name: 'mybanner', accountId: '123456789012' },
    },
  ],
  // Bucket labels that look like S3 words: the service label is the rightmost one.
  [
    'bucket with dots',
    's3.example.s3.us-east-1.amazonaws.com',
    { endpointKind: 'regional', bucket: 's3.example' },
  ],
  // Case, trailing dot and port are not part of the name.
  [
    'normalised',
    'BUCKET.S3.US-EAST-1.AMAZONAWS.COM.',
    { endpointKind: 'regional', host: 'bucket.s3.us-east-1.amazonaws.com', bucket: 'bucket' },
  ],
  ['normalised', 'bucket.s3.us-east-1.amazonaws.com:443', { endpointKind: 'regional', bucket: 'bucket' }],
  // Not S3
  [
    'not S3',
    'ec2.us-east-1.amazonaws.com',
    { endpointKind: 'not-s3', region: null, partition: null, addressingStyle: null },
  ],
  ['not S3', 'bucket.s3.example.com', { endpointKind: 'not-s3' }],
  ['not S3', 'minio.internal', { endpointKind: 'not-s3' }],
  ['not S3', '127.0.0.1', { endpointKind: 'not-s3' }],
  ['not S3', '[::1]', { endpointKind: 'not-s3' }],
  ['not S3', 'amazonaws.com', { endpointKind: 'not-s3' }],
  ['not S3', 'bucket..s3.amazonaws.com', { endpointKind: 'not-s3' }],
  ['not S3', 'bucket.s3.not-a-region.amazonaws.com', { endpointKind: 'not-s3' }],
  ['not S3', 'x.vpce-zz.s3.us-east-1.vpce.amazonaws.com', { endpointKind: 'not-s3' }],
  ['not S3', 'vpce-0abc-1def.execute-api.us-east-1.vpce.amazonaws.com', { endpointKind: 'not-s3' }],
  ['not S3', '', { endpointKind: 'not-s3' }],
];

describe('parseS3Hostname', () => {
  it.each(TABLE)('%s %s', (_form, host, expected) => {
    expect(parseS3Hostname(host)).toMatchObject(expected);
  });

  it('reads the hosts the JS SDK v3 puts in presigned URLs', async () => {
    const cases: [object, string, Expected][] = [
      [
        { region: 'us-east-1' },
        'my-bucket',
        { endpointKind: 'regional', region: 'us-east-1', bucket: 'my-bucket' },
      ],
      [
        { region: 'us-east-1', useGlobalEndpoint: true },
        'my-bucket',
        { endpointKind: 'global', bucket: 'my-bucket' },
      ],
      [{ region: 'aws-global' }, 'my-bucket', { endpointKind: 'global' }],
      [
        { region: 'us-west-2', forcePathStyle: true },
        'my-bucket',
        { endpointKind: 'regional', addressingStyle: 'path', bucket: null },
      ],
      [
        { region: 'us-west-2', useDualstackEndpoint: true },
        'my-bucket',
        { endpointKind: 'dualstack', dualstack: true },
      ],
      [
        { region: 'us-west-2', useFipsEndpoint: true, useDualstackEndpoint: true },
        'my-bucket',
        { endpointKind: 'fips', fips: true, dualstack: true },
      ],
      [
        { region: 'us-west-2', useAccelerateEndpoint: true },
        'my-bucket',
        { endpointKind: 'accelerate', region: null },
      ],
      [
        { region: 'us-west-2', useAccelerateEndpoint: true, useDualstackEndpoint: true },
        'my-bucket',
        { endpointKind: 'accelerate', dualstack: true },
      ],
      [
        {
          region: 'us-east-1',
          endpoint: 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
        },
        'my-bucket',
        {
          endpointKind: 'interface-endpoint',
          bucket: 'my-bucket',
          addressingStyle: 'virtual',
          vpceId: 'vpce-1a2b3c4d',
        },
      ],
      [
        { region: 'us-west-2' },
        'arn:aws:s3:us-west-2:123456789012:accesspoint/myendpoint',
        { endpointKind: 'access-point', accessPoint: { name: 'myendpoint', accountId: '123456789012' } },
      ],
      [{ region: 'cn-north-1' }, 'my-bucket', { endpointKind: 'regional', partition: 'aws-cn' }],
      [{ region: 'us-gov-west-1' }, 'my-bucket', { endpointKind: 'regional', partition: 'aws-us-gov' }],
      [
        { region: 'us-east-1', disableS3ExpressSessionAuth: true },
        'mybucket--use1-az4--x-s3',
        { endpointKind: 's3express', availabilityZoneId: 'use1-az4' },
      ],
    ];
    for (const [config, bucket, expected] of cases) {
      const url = new URL(await presign(config, bucket));
      expect(parseS3Hostname(url.hostname), url.hostname).toMatchObject(expected);
    }
  });
});

describe('readBucketAndKey', () => {
  it('takes the bucket from the first path segment for path-style names and decodes the key', () => {
    const h = parseS3Hostname('s3.us-west-2.amazonaws.com');
    expect(readBucketAndKey(h, '/bucket-name/dir/my%20key%2B%C3%BC.txt')).toEqual({
      bucket: 'bucket-name',
      key: 'dir/my key+ü.txt',
      addressingStyle: 'path',
    });
    // Bucket names with dots force path style in the SDKs [SDK: bucket.name → s3.us-east-1.amazonaws.com/bucket.name].
    expect(readBucketAndKey(parseS3Hostname('s3.us-east-1.amazonaws.com'), '/bucket.name')).toEqual({
      bucket: 'bucket.name',
      key: null,
      addressingStyle: 'path',
    });
  });

  it('keeps the host bucket for virtual-hosted names and reads the whole path as the key', () => {
    const h = parseS3Hostname('my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com');
    expect(readBucketAndKey(h, '/a/b%2Fc')).toEqual({
      bucket: 'my-bucket',
      key: 'a/b/c',
      addressingStyle: 'virtual',
    });
  });

  it('reads a path-style interface endpoint URL and a custom endpoint', () => {
    const vpce = parseS3Hostname('bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com');
    expect(readBucketAndKey(vpce, '/my-bucket/k')).toMatchObject({ bucket: 'my-bucket', key: 'k' });
    const lab = parseS3Hostname('127.0.0.1');
    expect(readBucketAndKey(lab, '/probe-bucket/probes/p1', true)).toEqual({
      bucket: 'probe-bucket',
      key: 'probes/p1',
      addressingStyle: 'path',
    });
    expect(readBucketAndKey(lab, '/probe-bucket/probes/p1')).toEqual({
      bucket: null,
      key: null,
      addressingStyle: null,
    });
  });

  it('keeps a malformed escape as written instead of throwing', () => {
    expect(readBucketAndKey(parseS3Hostname('s3.amazonaws.com'), '/b/100%')).toMatchObject({
      bucket: 'b',
      key: '100%',
    });
  });
});
