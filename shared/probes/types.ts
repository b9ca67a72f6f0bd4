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
  /** `<prefix>/probes/YYYY/MM/DD/<probeId>.bin` */
  key: string;
  /** Hex SHA-256 of the probe object's bytes. */
  sha256: string;
  size: number;
  /** The presigned URL, redacted. */
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
  bodyBytes: number;
  bodySha256: string | null;
  /** True when bodySha256 equals the probe's expected SHA-256. */
  bodyMatches: boolean | null;
  timingsMs: {
    dns: number | null;
    connect: number | null;
    tls: number | null;
    firstByte: number | null;
    total: number;
  };
  error: { code: FetchErrorCode; message: string } | null;
}
