/**
 * Core records of the monitoring loop, shared by the planner, the runners, the analyzer, the
 * Lambdas and the lab. Everything here is JSON-serialisable and holds no secret: presigned URLs
 * travel only inside orders and in memory, and are redacted wherever they are stored or printed.
 */

/** How a probe's presigned URL is minted (which endpoint the SDK is configured for). */
export type EndpointStyle =
  | 'regional'
  | 'global'
  | 'path-style'
  | 'dualstack'
  | 'fips'
  | 'accelerate'
  | 'interface-endpoint'
  | 'access-point'
  | 'mrap';

export type VantageKind = 'vpc' | 'onprem';

/**
 * What a probe does with its object: `get` downloads the object the probe function created, `put`
 * uploads it through a presigned `PutObject` URL, `post` through a presigned POST form. An upload
 * takes the same network decisions as a download, but SDKs build its target differently (a POST
 * form's `url` is the bucket's endpoint), so each method is probed on its own.
 */
export type ProbeMethod = 'get' | 'put' | 'post';

/** Every method, in the order matrices and reports list them. */
export const PROBE_METHODS: readonly ProbeMethod[] = ['get', 'put', 'post'];

/** A stored probe's or observation's method: absent in records written before uploads, which were GETs. */
export function methodOf(x: { readonly method?: ProbeMethod | undefined }): ProbeMethod {
  return x.method ?? 'get';
}

/**
 * The style a probe is reported under, with its method when it uploads: `regional` (a GET, as
 * before uploads existed, so stored alert keys still match), `regional put`, `regional post`. One
 * probe group per label: the verdict matrix's cell, the alert group, the alert subject.
 *
 * @example styleAndMethod({ style: 'regional', method: 'post' }) // 'regional post'
 */
export function styleAndMethod(x: {
  readonly style: string;
  readonly method?: ProbeMethod | undefined;
}): string {
  const m = methodOf(x);
  return m === 'get' ? x.style : `${x.style} ${m}`;
}

export interface Vantage {
  /** Runner id, e.g. `vpc-app` or `onprem-dc1`. */
  id: string;
  kind: VantageKind;
  /** For `vpc` vantages: the subnet the runner (probe Lambda) is attached to. */
  subnetId?: string;
}

export interface Target {
  bucket: string;
  region: string;
  styles: EndpointStyle[];
  /** For `access-point`: the access point ARN. */
  accessPointArn?: string;
  /** For `mrap`: the Multi-Region Access Point ARN (`arn:aws:s3::<account>:accesspoint/<alias>.mrap`). */
  mrapArn?: string;
  /** For `interface-endpoint`: the endpoint DNS name to presign with (`bucket.vpce-….s3.<region>.vpce.amazonaws.com`). */
  interfaceEndpointDns?: string;
}

export type PathVerdict = 'private' | 'left-path' | 'blocked' | 'pending' | 'no-evidence';

/** A planned probe (one per target, style and vantage per run). No secrets. */
export interface Probe {
  /** Time-sortable unique id. */
  probeId: string;
  runId: string;
  createdAt: string;
  vantage: Vantage;
  bucket: string;
  region: string;
  style: EndpointStyle;
  /** What the runner does with the object (see {@link methodOf}: absent means `get`). */
  method?: ProbeMethod;
  /** `<prefix>/probes/YYYY/MM/DD/<probeId>.bin` */
  key: string;
  /** Hex SHA-256 of the probe object's bytes. */
  sha256: string;
  size: number;
  /** The presigned URL, redacted (for `post`: the form's `url`, which carries no secret). */
  urlRedacted: string;
  urlHost: string;
  expiresAt: string;
  /** The `inspect-url` reading of the URL (see shared/endpoints), secrets removed. */
  inspection: unknown;
  /** The path the probe should take from its vantage, from the inspection and the environment. */
  expectedPath: string;
  /**
   * Digest of the environment the probe was planned with (shared/evidence/bundle.ts
   * `environmentDigest`): the plan-time reading of the route tables, which the analyzer matches
   * against its snapshots to know the tables in force at request time. Absent when the planner
   * had no environment.
   */
  environmentDigest?: string;
}

/** One DNS answer the runner's lookup saw. */
export interface DnsAnswer {
  address: string;
  family: 4 | 6;
}

/** Coded fetch failures. */
export type FetchErrorCode =
  | 'DNS_FAILURE'
  | 'CONNECTION_REFUSED'
  | 'TIMEOUT'
  | 'TLS_ERROR'
  | 'HTTP_ERROR'
  | 'SHA_MISMATCH'
  | 'HOST_NOT_ALLOWED'
  /** DNS answered an address the fetch may not connect to (loopback, link-local, …). */
  | 'ADDRESS_NOT_ALLOWED'
  | 'NETWORK_ERROR';

/** What a runner saw when it fetched a probe URL. No secrets (URL redacted). */
export interface Observation {
  probeId: string;
  runnerId: string;
  vantageKind: VantageKind;
  /** The request the runner made (absent in reports of runners older than uploads: `get`). */
  method?: ProbeMethod;
  startedAt: string;
  urlRedacted: string;
  host: string;
  dns: { answers: DnsAnswer[]; error?: string } | null;
  remoteAddress: string | null;
  remotePort: number | null;
  localAddress: string | null;
  localPort: number | null;
  tls: { version: string | null; cipher: string | null; servername: string | null } | null;
  httpStatus: number | null;
  requestId: string | null;
  hostId: string | null;
  /** For 3xx: the host of the Location header (the URL itself is not kept). */
  redirectHost: string | null;
  /** S3 error code from an XML error body (e.g. `AccessDenied`). */
  s3ErrorCode: string | null;
  /**
   * `<Message>` of that XML error body (e.g. "Request has expired"): for a 403 it says which
   * control refused (aws-facts §10.1). Absent in reports of runners older than this field.
   */
  s3ErrorMessage?: string | null;
  /** Bytes of the response body (an upload's own bytes are not counted here). */
  bodyBytes: number;
  bodySha256: string | null;
  /** True when bodySha256 equals the probe's expected SHA-256 (downloads only; null for uploads). */
  bodyMatches: boolean | null;
  /** The `ETag` S3 answered (uploads: what the object was stored as), or null. */
  etag?: string | null;
  timingsMs: {
    dns: number | null;
    connect: number | null;
    tls: number | null;
    firstByte: number | null;
    total: number;
  };
  error: { code: FetchErrorCode; message: string } | null;
}
