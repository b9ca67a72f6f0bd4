/**
 * The endpoint section of URL inspection: what the host name tells about the path a request can
 * take (aws-facts §4 for the names, §5.3 for interface-endpoint private DNS, §6 for what the SDKs
 * emit), and whether the signature's scope fits it. Findings are named by code; their severity
 * and text are the catalogue's (findings.ts).
 */
import type { Findings } from './findings.js';
import { type AddressingStyle, BLANK_HOSTNAME, type EndpointKind, type S3Hostname } from './hostname.js';
import type { EndpointDetails, SignatureReading } from './inspect.js';

/** The fields of an {@link S3Hostname} that {@link EndpointDetails} carries. */
export const ENDPOINT_DETAIL_KEYS = [
  'service',
  'dualstack',
  'fips',
  'legacyGlobal',
  'legacyDashRegion',
  's3External1',
  'vpceId',
  'accessPoint',
  'accessPointAlias',
  'mrapAlias',
  'availabilityZoneId',
] as const satisfies readonly (keyof S3Hostname)[];

function detailsOf(h: Omit<S3Hostname, 'host'>): EndpointDetails {
  return Object.fromEntries(ENDPOINT_DETAIL_KEYS.map((k) => [k, h[k]])) as unknown as EndpointDetails;
}

export const NO_ENDPOINT: EndpointDetails = detailsOf(BLANK_HOSTNAME);

/** The endpoint details of a reading; none for a host that is not an S3 name. */
export function endpointDetails(h: S3Hostname, kind: EndpointKind): EndpointDetails {
  return kind === 'not-s3' || kind === 'custom' ? NO_ENDPOINT : detailsOf(h);
}

/** Region of the bucket as the URL states it: the host's; for names without one, the signing scope's. */
export function bucketRegion(h: S3Hostname, s: SignatureReading, kind: EndpointKind): string | null {
  if (h.region !== null) return h.region;
  if (kind === 'mrap' || s.version === 'sigv4a') return null;
  return s.signingRegion;
}

/** What the request target names: the parsed host, its kind, the scheme, bucket and addressing style. */
export interface EndpointTarget {
  readonly h: S3Hostname;
  readonly kind: EndpointKind;
  readonly scheme: string;
  readonly bucket: string | null;
  readonly style: AddressingStyle | null;
}

export function judgeEndpoint(t: EndpointTarget, f: Findings): void {
  const { h, kind } = t;
  switch (kind) {
    case 'not-s3':
      f.add('NOT_S3', h.host || 'no host');
      return;
    case 'custom':
      f.add('CUSTOM_ENDPOINT', h.host);
      return;
    case 'global':
      f.add('LEGACY_GLOBAL_ENDPOINT');
      break;
    case 'accelerate':
      f.add('PUBLIC_ONLY_ENDPOINT', 'Transfer Acceleration goes through CloudFront edge locations');
      break;
    case 'website':
      f.add(
        'PUBLIC_ONLY_ENDPOINT',
        'website endpoint: HTTP only, public content only (no presigned requests)',
      );
      break;
    default:
      break;
  }
  if (h.legacyDashRegion || h.s3External1) {
    f.add(
      'LEGACY_DASH_REGION_ENDPOINT',
      `${h.s3External1 ? 's3-external-1' : 'dash-Region (s3-<region>)'} name; use s3.${h.region ?? '<region>'}.amazonaws.com`,
    );
  }
  if (h.dualstack) f.add('DUALSTACK_ENDPOINT');
  if (h.fips) f.add('FIPS_ENDPOINT');
  const control = h.service === 's3-control' || h.service === 's3express-control';
  if (control) f.add('CONTROL_PLANE_ENDPOINT');
  if (t.style === 'path' && !control && t.bucket !== null) f.add('PATH_STYLE_URL');
  if (t.style === 'virtual' && t.scheme === 'https' && t.bucket?.includes('.'))
    f.add('DOTTED_BUCKET_VIRTUAL_HOST', h.host);
}

/** A SigV4 scope must name the host's Region (S3 answers AuthorizationHeaderMalformed otherwise). */
export function judgeScope(h: S3Hostname, s: SignatureReading, f: Findings): void {
  if (s.version !== 'sigv4' || s.signingRegion === null || h.region === null) return;
  // The accelerate Region label and MRAP names are not what S3 checks the scope against.
  if (h.endpointKind === 'accelerate' || h.endpointKind === 'mrap') return;
  if (s.signingRegion !== h.region) {
    f.add('CREDENTIAL_REGION_MISMATCH', `signed for ${s.signingRegion}, the host is in ${h.region}`);
  }
}

/** The host when it is an IP literal, canonical text; null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(bare) || bare.includes(':')) return bare.toLowerCase();
  return null;
}
