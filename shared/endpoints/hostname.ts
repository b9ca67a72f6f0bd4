/**
 * Reading of Amazon S3 hostnames: which endpoint a name designates, in which Region and partition,
 * and which bucket (or access point) it addresses. The forms follow the S3 endpoint rules shared
 * by the AWS SDKs (botocore `tests/functional/endpoint-rules/s3/endpoint-tests-1.json`, the JS v3
 * `client-s3` endpoint rules) and the S3 user guide (VirtualHosting, WebsiteEndpoints,
 * privatelink-interface-endpoints, MultiRegionAccessPointRequests, transfer-acceleration,
 * dual-stack-endpoints).
 */

/** What kind of S3 endpoint a hostname designates. */
export type EndpointKind =
  | 'regional'
  | 'global'
  | 'dualstack'
  | 'fips'
  | 'accelerate'
  | 'access-point'
  | 'mrap'
  | 'interface-endpoint'
  | 'website'
  | 's3express'
  | 'custom'
  | 'not-s3';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export type AddressingStyle = 'virtual' | 'path';

/** The S3 service family a hostname belongs to (`s3` for bucket and object requests). */
export type S3Service =
  | 's3'
  | 's3-control'
  | 's3-object-lambda'
  | 's3-outposts'
  | 's3-global-accesspoint'
  | 's3express'
  | 's3express-control';

/** The scope label of an interface-endpoint name (`bucket.vpce-…`, `accesspoint.vpce-…`, `control.vpce-…`). */
export type VpceScope = 'bucket' | 'accesspoint' | 'control';

/** What a hostname alone says. Fields that do not apply are null (or false). */
export interface S3Hostname {
  /** The host as read: lower case, no trailing dot, no port. */
  readonly host: string;
  readonly endpointKind: EndpointKind;
  readonly service: S3Service | null;
  /** The Region the name designates; null for the legacy global name, acceleration and MRAP. */
  readonly region: string | null;
  readonly partition: Partition | null;
  /** Bucket named by the host (virtual-hosted style); null when the path must name it. */
  readonly bucket: string | null;
  /** `virtual` when the host names the bucket or access point, `path` when the path must; null if not S3. */
  readonly addressingStyle: AddressingStyle | null;
  readonly dualstack: boolean;
  readonly fips: boolean;
  /** `s3.amazonaws.com` / `bucket.s3.amazonaws.com`. */
  readonly legacyGlobal: boolean;
  /** `s3-<region>.amazonaws.com` and `s3-fips-<region>` (the older dash form). */
  readonly legacyDashRegion: boolean;
  /** `s3-external-1.amazonaws.com`, the old US East (N. Virginia) alias. */
  readonly s3External1: boolean;
  /** Endpoint id of an interface-endpoint name (`vpce-1a2b3c4d`), without the DNS suffix. */
  readonly vpceId: string | null;
  /** The whole endpoint label (`vpce-1a2b3c4d-5e6f` or zonal `vpce-1a2b3c4d-5e6f-us-east-1a`). */
  readonly vpceDnsLabel: string | null;
  readonly vpceScope: VpceScope | null;
  /** Availability Zone of a zonal interface-endpoint name. */
  readonly vpceAvailabilityZone: string | null;
  /** Access point named by the host: `<name>-<account>.s3-accesspoint…`. */
  readonly accessPoint: { readonly name: string; readonly accountId: string } | null;
  /** The bucket label is an access point alias (`…-s3alias`, `…--ol-s3`, `…--op-s3`). */
  readonly accessPointAlias: boolean;
  /** Multi-Region Access Point alias (`mfzwi23gnjvgw.mrap`). */
  readonly mrapAlias: string | null;
  /** Zone id of a directory-bucket (S3 Express) endpoint, e.g. `use1-az4`. */
  readonly availabilityZoneId: string | null;
  /** Account id in an `<account>.s3-control…` name. */
  readonly accountId: string | null;
  /** Outpost id in an S3 on Outposts name. */
  readonly outpostId: string | null;
}

const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
const ZONAL_VPCE_LABEL = /^vpce-([0-9a-f]+)-([0-9a-z]+)(?:-([a-z]{2,4}(?:-[a-z]+)+-\d{1,2}[a-z]))?$/;
/** Directory-bucket zone ids: `use1-az4`, Local Zones `usw2-lax1-az1`. */
const ZONE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*-az\d+$|^[a-z0-9]+(?:-[a-z0-9]+)+$/;
const ACCESS_POINT_LABEL = /^(.+)-(\d{12})$/;

/** The reading of a host that is not an S3 name. */
export const BLANK_HOSTNAME: Omit<S3Hostname, 'host'> = {
  endpointKind: 'not-s3',
  service: null,
  region: null,
  partition: null,
  bucket: null,
  addressingStyle: null,
  dualstack: false,
  fips: false,
  legacyGlobal: false,
  legacyDashRegion: false,
  s3External1: false,
  vpceId: null,
  vpceDnsLabel: null,
  vpceScope: null,
  vpceAvailabilityZone: null,
  accessPoint: null,
  accessPointAlias: false,
  mrapAlias: null,
  availabilityZoneId: null,
  accountId: null,
  outpostId: null,
};

/** True for an AWS Region code such as `us-east-1`, `us-gov-west-1` or `cn-north-1`. */
export function isRegionCode(s: string): boolean {
  return REGION.test(s);
}

/**
 * Reads an S3 hostname. Total: anything that is not an S3 name (including IP literals, custom
 * endpoints and garbage) is `not-s3`; the caller decides whether a signed request to such a
 * host is a `custom` S3 endpoint.
 *
 * @example
 * parseS3Hostname('my-bucket.s3.us-west-2.amazonaws.com')
 * // { endpointKind: 'regional', region: 'us-west-2', partition: 'aws', bucket: 'my-bucket', addressingStyle: 'virtual', … }
 */
export function parseS3Hostname(rawHost: string): S3Hostname {
  const host = normalizeHost(rawHost);
  const notS3: S3Hostname = { ...BLANK_HOSTNAME, host };
  let rest: string;
  let cn = false;
  if (host.endsWith('.amazonaws.com.cn')) {
    rest = host.slice(0, -'.amazonaws.com.cn'.length);
    cn = true;
  } else if (host.endsWith('.amazonaws.com')) {
    rest = host.slice(0, -'.amazonaws.com'.length);
  } else {
    return notS3;
  }
  const labels = rest.split('.');
  if (labels.some((l) => l.length === 0)) return notS3;
  const read = labels[labels.length - 1] === 'vpce' ? readInterfaceEndpoint(labels) : readPublic(labels);
  if (read === null) return notS3;
  return { ...BLANK_HOSTNAME, host, ...read, partition: partitionOf(cn, read.region ?? null) };
}

type Reading = Partial<Omit<S3Hostname, 'host' | 'partition'>> & { endpointKind: EndpointKind };

function normalizeHost(raw: string): string {
  let h = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (h.startsWith('[')) return h;
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && /^\d*$/.test(h.slice(colon + 1))) h = h.slice(0, colon);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

function partitionOf(cn: boolean, region: string | null): Partition {
  if (cn) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Bucket labels in front of the service label, and what they say about access point aliases. */
function bucketReading(
  prefix: readonly string[],
): Pick<Reading, 'bucket' | 'addressingStyle' | 'accessPointAlias'> {
  if (prefix.length === 0) return { bucket: null, addressingStyle: 'path', accessPointAlias: false };
  const bucket = prefix.join('.');
  return { bucket, addressingStyle: 'virtual', accessPointAlias: isAccessPointAlias(bucket) };
}

/** Access point aliases are used like bucket names; S3 reserves these suffixes for them. */
export function isAccessPointAlias(bucket: string): boolean {
  return bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3') || bucket.endsWith('--op-s3');
}

function accessPointReading(
  prefix: readonly string[],
): Pick<Reading, 'accessPoint' | 'addressingStyle'> | null {
  const label = prefix[0];
  if (label === undefined) return null;
  const m = ACCESS_POINT_LABEL.exec(label);
  return { accessPoint: m ? { name: m[1]!, accountId: m[2]! } : null, addressingStyle: 'virtual' };
}

/**
 * `<regional tail>` after a service label: `[region]` or `['dualstack', region]`.
 * Returns null when the tail is not one of them.
 */
function regionalTail(tail: readonly string[]): { region: string; dualstack: boolean } | null {
  if (tail.length === 1 && isRegionCode(tail[0]!)) return { region: tail[0]!, dualstack: false };
  if (tail.length === 2 && tail[0] === 'dualstack' && isRegionCode(tail[1]!)) {
    return { region: tail[1]!, dualstack: true };
  }
  return null;
}

/**
 * Public (non-PrivateLink) names. The service label is searched from the right so that a bucket
 * whose own labels look like S3 words (`s3.example.s3.amazonaws.com`) reads correctly.
 */
function readPublic(labels: readonly string[]): Reading | null {
  for (let i = labels.length - 1; i >= 0 && i >= labels.length - 3; i--) {
    const r = readAt(labels, i);
    if (r !== null) return r;
  }
  return null;
}

function readAt(labels: readonly string[], i: number): Reading | null {
  const label = labels[i]!;
  const prefix = labels.slice(0, i);
  const tail = labels.slice(i + 1);
  switch (label) {
    case 's3': {
      if (tail.length === 0)
        return { endpointKind: 'global', service: 's3', legacyGlobal: true, ...bucketReading(prefix) };
      const t = regionalTail(tail);
      if (t === null) return null;
      return {
        endpointKind: t.dualstack ? 'dualstack' : 'regional',
        service: 's3',
        region: t.region,
        dualstack: t.dualstack,
        ...bucketReading(prefix),
      };
    }
    case 's3-fips': {
      const t = regionalTail(tail);
      if (t === null) return null;
      return {
        endpointKind: 'fips',
        service: 's3',
        region: t.region,
        fips: true,
        dualstack: t.dualstack,
        ...bucketReading(prefix),
      };
    }
    case 's3-accelerate': {
      // The rules also emit `s3-accelerate.dualstack.<region>` in one branch; the Region is ignored by S3.
      const dualstack = tail[0] === 'dualstack';
      const ok =
        tail.length === 0 ||
        (dualstack && (tail.length === 1 || (tail.length === 2 && isRegionCode(tail[1]!))));
      if (!ok || prefix.length === 0) return null;
      return {
        endpointKind: 'accelerate',
        service: 's3',
        dualstack,
        region: tail.length === 2 ? tail[1]! : null,
        ...bucketReading(prefix),
      };
    }
    case 's3-accesspoint':
    case 's3-accesspoint-fips':
    case 's3-object-lambda':
    case 's3-object-lambda-fips': {
      const t = regionalTail(tail);
      const ap = accessPointReading(prefix);
      if (t === null || ap === null || prefix.length !== 1) return null;
      return {
        endpointKind: 'access-point',
        service: label.startsWith('s3-object-lambda') ? 's3-object-lambda' : 's3',
        region: t.region,
        dualstack: t.dualstack,
        fips: label.endsWith('-fips'),
        ...ap,
      };
    }
    case 's3-outposts': {
      const t = regionalTail(tail);
      const ap = accessPointReading(prefix);
      if (t === null || ap === null) return null;
      return {
        endpointKind: 'access-point',
        service: 's3-outposts',
        region: t.region,
        dualstack: t.dualstack,
        outpostId: prefix.length > 1 ? prefix[prefix.length - 1]! : null,
        ...ap,
      };
    }
    case 's3-control':
    case 's3-control-fips': {
      const t = regionalTail(tail);
      if (t === null || prefix.length > 1) return null;
      const fips = label.endsWith('-fips');
      return {
        endpointKind: fips ? 'fips' : t.dualstack ? 'dualstack' : 'regional',
        service: 's3-control',
        region: t.region,
        dualstack: t.dualstack,
        fips,
        accountId: prefix[0] ?? null,
        addressingStyle: 'path',
      };
    }
    case 's3-global': {
      if (tail.length !== 0 || labels[i - 1] !== 'accesspoint' || i < 2) return null;
      return {
        endpointKind: 'mrap',
        service: 's3-global-accesspoint',
        mrapAlias: labels.slice(0, i - 1).join('.'),
        addressingStyle: 'virtual',
      };
    }
    case 's3-website': {
      const t = regionalTail(tail);
      if (t === null || t.dualstack) return null;
      return { endpointKind: 'website', service: 's3', region: t.region, ...bucketReading(prefix) };
    }
    case 's3-external-1': {
      if (tail.length !== 0) return null;
      return {
        endpointKind: 'regional',
        service: 's3',
        region: 'us-east-1',
        s3External1: true,
        ...bucketReading(prefix),
      };
    }
    case 's3express-control':
    case 's3express-control-fips': {
      const t = regionalTail(tail);
      if (t === null) return null;
      return {
        endpointKind: 's3express',
        service: 's3express-control',
        region: t.region,
        dualstack: t.dualstack,
        fips: label.endsWith('-fips'),
        ...bucketReading(prefix),
      };
    }
    default:
      return readDashLabel(label, prefix, tail);
  }
}

/** Labels with a variable part: `s3-<region>`, `s3-fips-<region>`, `s3-website-<region>`, `s3express[-fips]-<zone>`. */
function readDashLabel(label: string, prefix: readonly string[], tail: readonly string[]): Reading | null {
  if (label.startsWith('s3express-')) {
    const fips = label.startsWith('s3express-fips-');
    const zone = label.slice(fips ? 's3express-fips-'.length : 's3express-'.length);
    const t = regionalTail(tail);
    if (t === null || !ZONE_ID.test(zone)) return null;
    return {
      endpointKind: 's3express',
      service: 's3express',
      region: t.region,
      dualstack: t.dualstack,
      fips,
      availabilityZoneId: zone,
      ...bucketReading(prefix),
    };
  }
  if (tail.length !== 0) return null;
  if (label.startsWith('s3-website-')) {
    const region = label.slice('s3-website-'.length);
    if (!isRegionCode(region)) return null;
    return { endpointKind: 'website', service: 's3', region, ...bucketReading(prefix) };
  }
  if (label.startsWith('s3-fips-')) {
    const region = label.slice('s3-fips-'.length);
    if (!isRegionCode(region)) return null;
    return {
      endpointKind: 'fips',
      service: 's3',
      region,
      fips: true,
      legacyDashRegion: true,
      ...bucketReading(prefix),
    };
  }
  if (label.startsWith('s3-')) {
    const region = label.slice('s3-'.length);
    if (!isRegionCode(region)) return null;
    return {
      endpointKind: 'regional',
      service: 's3',
      region,
      legacyDashRegion: true,
      ...bucketReading(prefix),
    };
  }
  return null;
}

/**
 * `[prefix…].vpce-<id>-<suffix>[-<az>].<service>.<region>.vpce` (the `.amazonaws.com` part removed).
 * The scope label in front of the endpoint label (`bucket`, `accesspoint`, `control`) is what the
 * console shows as `*`; the SDKs put the bucket or access point in front of it.
 */
function readInterfaceEndpoint(labels: readonly string[]): Reading | null {
  const n = labels.length;
  const v = labels.findIndex((l) => l.startsWith('vpce-'));
  if (v === -1) return null;
  const m = ZONAL_VPCE_LABEL.exec(labels[v]!);
  if (m === null) return null;
  const after = labels.slice(v + 1, n - 1);
  let service: S3Service;
  let region: string | null = null;
  if (after.length === 2 && (after[0] === 's3' || after[0] === 's3express') && isRegionCode(after[1]!)) {
    service = after[0] === 's3' ? 's3' : 's3express';
    region = after[1]!;
  } else if (after.length === 2 && after[0] === 'accesspoint' && after[1] === 's3-global') {
    service = 's3-global-accesspoint';
  } else {
    return null;
  }
  const base: Reading = {
    endpointKind: 'interface-endpoint',
    service,
    region,
    vpceId: `vpce-${m[1]!}`,
    vpceDnsLabel: labels[v]!,
    vpceAvailabilityZone: m[3] ?? null,
  };
  const prefix = labels.slice(0, v);
  const scope = prefix[prefix.length - 1];
  if (scope === 'bucket') return { ...base, vpceScope: 'bucket', ...bucketReading(prefix.slice(0, -1)) };
  if (scope === 'control') {
    const owner = prefix.slice(0, -1);
    // `<account>.control.vpce-…` is S3 Control; any other label in front is a bucket the SDK
    // virtual-hosted onto a `control.vpce-…` endpoint URL (SDK rules test case).
    if (owner.length === 0 || (owner.length === 1 && /^\d{12}$/.test(owner[0]!))) {
      return {
        ...base,
        service: 's3-control',
        vpceScope: 'control',
        accountId: owner[0] ?? null,
        addressingStyle: 'path',
      };
    }
    return { ...base, vpceScope: 'control', ...bucketReading(owner) };
  }
  if (scope === 'accesspoint') {
    const ap = accessPointReading(prefix.slice(0, -1));
    return { ...base, vpceScope: 'accesspoint', ...(ap ?? { addressingStyle: 'path' }) };
  }
  // `*.vpce-…` is how the console and DescribeVpcEndpoints list the name: no bucket in it.
  if (prefix.length === 1 && prefix[0] === '*') return { ...base, addressingStyle: 'path' };
  // No scope label: the bare regional name, or a bucket put straight in front of it.
  return { ...base, ...bucketReading(prefix) };
}

/** Bucket, object key and addressing style of a request, from the host reading and the URL path. */
export interface BucketAndKey {
  readonly bucket: string | null;
  readonly key: string | null;
  readonly addressingStyle: AddressingStyle | null;
}

/**
 * Completes a host reading with the URL path: for path-style requests the first path segment is
 * the bucket. `pathname` is the raw (percent-encoded) path; bucket and key come back decoded. A
 * `custom` endpoint (a name S3 does not own) is read path-style, as the SDKs default to for one.
 *
 * @example
 * readBucketAndKey(parseS3Hostname('s3.us-west-2.amazonaws.com'), '/bucket-name/dir/a%20b.txt')
 * // { bucket: 'bucket-name', key: 'dir/a b.txt', addressingStyle: 'path' }
 */
export function readBucketAndKey(host: S3Hostname, pathname: string, isCustom = false): BucketAndKey {
  const path = pathname.startsWith('/') ? pathname.slice(1) : pathname;
  const style: AddressingStyle | null = host.addressingStyle ?? (isCustom ? 'path' : null);
  if (style === null) return { bucket: null, key: null, addressingStyle: null };
  if (style === 'virtual' || host.service === 's3-control') {
    return { bucket: host.bucket, key: path === '' ? null : safeDecode(path), addressingStyle: style };
  }
  const slash = path.indexOf('/');
  const first = slash === -1 ? path : path.slice(0, slash);
  const rest = slash === -1 ? '' : path.slice(slash + 1);
  return {
    bucket: first === '' ? null : safeDecode(first),
    key: rest === '' ? null : safeDecode(rest),
    addressingStyle: 'path',
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
