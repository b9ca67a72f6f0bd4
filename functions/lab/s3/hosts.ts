/** Where a request points: the bucket and key, and whether the bucket came from the Host header. */
export interface S3Target {
  /** Null for a service-level request (`GET /` on a bare endpoint). */
  readonly bucket: string | null;
  /** Null for a bucket-level request. */
  readonly key: string | null;
  readonly style: 'virtual-hosted' | 'path';
  /** The Host header without its port, lower case: what the access log's Host Header field shows. */
  readonly host: string;
}

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';

/**
 * S3 endpoint host names a bucket can be prepended to (aws-facts §4): regional, legacy global and
 * dash-Region names, dual-stack and FIPS variants, Transfer Acceleration, and the endpoint-specific
 * names of an interface endpoint (`bucket.vpce-….s3.<region>.vpce.amazonaws.com`), in both
 * partitions' domains.
 */
const SERVICE_HOST = new RegExp(
  `^(?:(?:s3|s3-fips|s3-external-1|s3-accelerate|s3-${REGION})(?:\\.dualstack)?(?:\\.${REGION})?|(?:bucket|accesspoint|control)\\.vpce-[a-z0-9]+(?:-[a-z0-9]+)*\\.s3\\.${REGION}\\.vpce)\\.amazonaws\\.com(?:\\.cn)?$`,
);

/**
 * A Multi-Region Access Point name, `<alias>.accesspoint.s3-global.amazonaws.com` with the alias
 * S3 generated (`mfzwi23gnjvgw.mrap`, aws-facts §4 H10). MRAPs exist in the `aws` partition only.
 */
const MRAP_HOST = /^([a-z0-9]+\.mrap)\.accesspoint\.s3-global\.amazonaws\.com$/;

/** The alias of a Multi-Region Access Point host name (`mfzwi23gnjvgw.mrap`), or null. */
export function mrapAliasOf(host: string): string | null {
  return MRAP_HOST.exec(hostWithoutPort(host))?.[1] ?? null;
}

function decodePathPart(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The Host header's name, without a port and lower case (`[::1]:8080` → `::1`). */
export function hostWithoutPort(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    return close === -1 ? h : h.slice(1, close);
  }
  const colon = h.lastIndexOf(':');
  return colon !== -1 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * Finds the bucket and key a request names, as S3 does: a known S3 endpoint name with labels in
 * front of it is virtual-hosted (`my.bucket.s3.us-east-1.amazonaws.com`, the bucket may contain
 * dots); a Multi-Region Access Point name is its bucket's (`mraps`: alias → bucket); anything else (an endpoint name alone, an IP address, `localhost`) is path-style, the
 * bucket being the first path segment. The key is percent-decoded.
 *
 * @example
 * s3TargetOf('photos.s3.us-east-1.amazonaws.com', '/2019/puppy.jpg');
 * // { bucket: 'photos', key: '2019/puppy.jpg', style: 'virtual-hosted', host: 'photos.s3.us-east-1.amazonaws.com' }
 */
export function s3TargetOf(
  hostHeader: string,
  rawPath: string,
  mraps: ReadonlyMap<string, string> = new Map(),
): S3Target {
  const host = hostWithoutPort(hostHeader);
  const alias = mrapAliasOf(host);
  if (alias !== null) {
    // The MRAP names its bucket itself (the lab routes each alias to one bucket; S3 picks the
    // closest of several): the whole path is the key. An alias the endpoint does not know is
    // answered as a bucket that does not exist.
    const rest = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    return {
      bucket: mraps.get(alias) ?? alias,
      key: rest === '' ? null : decodePathPart(rest),
      style: 'virtual-hosted',
      host,
    };
  }
  // Leftmost match = longest service suffix, so `bucket.vpce-…` alone is the endpoint, not a bucket.
  let at = -1;
  while (at < host.length) {
    const suffix = host.slice(at + 1);
    if (SERVICE_HOST.test(suffix)) {
      if (at > 0) {
        const rest = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
        return {
          bucket: host.slice(0, at),
          key: rest === '' ? null : decodePathPart(rest),
          style: 'virtual-hosted',
          host,
        };
      }
      break;
    }
    const next = host.indexOf('.', at + 1);
    if (next === -1) break;
    at = next;
  }
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (path === '') return { bucket: null, key: null, style: 'path', host };
  const slash = path.indexOf('/');
  if (slash === -1) return { bucket: decodePathPart(path), key: null, style: 'path', host };
  const key = path.slice(slash + 1);
  return {
    bucket: decodePathPart(path.slice(0, slash)),
    key: key === '' ? null : decodePathPart(key),
    style: 'path',
    host,
  };
}
