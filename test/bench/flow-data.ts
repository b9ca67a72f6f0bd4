// Generated, realistic v5 flow-log input for benchmarks (29 fields, the AWS v5 order).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export const V5_FIELDS =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

/** Deterministic pseudo-random numbers (xorshift32) so every run writes the same file. */
export function rng(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** A network interface of the generated VPC: its subnet, instance (or `-`) and private address. */
interface Eni {
  readonly id: string;
  readonly subnet: string;
  readonly instance: string;
  readonly host: string;
}

const hex = (r: () => number, n: number) =>
  Array.from({ length: n }, () => ((r() * 16) | 0).toString(16)).join('');

/** 400 interfaces in 24 subnets; a fifth are requester-managed (no instance id), as for NAT/endpoints. */
function enis(r: () => number): Eni[] {
  const subnets = Array.from({ length: 24 }, () => `subnet-0${hex(r, 16)}`);
  return Array.from({ length: 400 }, (_, i) => ({
    id: `eni-0${hex(r, 16)}`,
    subnet: subnets[i % subnets.length]!,
    instance: r() < 0.8 ? `i-0${hex(r, 16)}` : '-',
    host: `10.0.${i % 24}.${(r() * 250 + 4) | 0}`,
  }));
}

// Addresses inside the us-east-1 S3 prefix list (com.amazonaws.us-east-1.s3).
const S3_PREFIXES = ['52.216', '52.217', '54.231', '3.5', '16.182', '18.34'];

/** One v5 line: a mix of egress to S3 (traffic-path 7/8/2), ingress replies, VPC-local and NODATA. */
export function flowLine(r: () => number, t: number, pool: readonly Eni[] = DEFAULT_POOL): string {
  const eni = pool[(r() * pool.length) | 0]!;
  const host = eni.host;
  const s3 = `${S3_PREFIXES[(r() * S3_PREFIXES.length) | 0]}.${(r() * 255) | 0}.${(r() * 255) | 0}`;
  const p = r();
  const port = 32768 + ((r() * 28000) | 0);
  const pk = 1 + ((r() * 900) | 0);
  const by = pk * (40 + ((r() * 1400) | 0));
  const head = `5 123456789012 ${eni.id}`;
  const vpc = `vpc-0abcdef0123456789 ${eni.subnet} ${eni.instance}`;
  if (p < 0.45) {
    const tp = r() < 0.8 ? 7 : r() < 0.5 ? 8 : 2;
    return `${head} ${host} ${s3} ${port} 443 6 ${pk} ${by} ${t} ${t + 58} ACCEPT OK ${vpc} 3 IPv4 ${host} ${s3} us-east-1 use1-az4 - - - S3 egress ${tp}`;
  }
  if (p < 0.85) {
    return `${head} ${s3} ${host} 443 ${port} 6 ${pk} ${by} ${t} ${t + 58} ACCEPT OK ${vpc} 19 IPv4 ${s3} ${host} us-east-1 use1-az4 - - S3 - ingress -`;
  }
  if (p < 0.98) {
    const dst = pool[(r() * pool.length) | 0]!.host;
    return `${head} ${host} ${dst} ${port} 5432 6 ${pk} ${by} ${t} ${t + 58} ${r() < 0.9 ? 'ACCEPT' : 'REJECT'} OK ${vpc} 2 IPv4 ${host} ${dst} us-east-1 use1-az4 - - - - egress 1`;
  }
  return `${head} - - - - - - - ${t} ${t + 58} - NODATA ${vpc} - - - - us-east-1 use1-az4 - - - - - -`;
}

const DEFAULT_POOL = enis(rng(0x5eed));

/** Writes `lines` records (plus a header line when `header`) to `file`. Returns bytes written. */
export async function writeFlowFile(file: string, lines: number, header = true): Promise<number> {
  const out = createWriteStream(file);
  const r = rng();
  let bytes = 0;
  let buf = header ? `${V5_FIELDS}\n` : '';
  const t0 = 1_764_000_000;
  for (let i = 0; i < lines; i++) {
    buf += `${flowLine(r, t0 + ((i / 2000) | 0))}\n`;
    if (buf.length > 1 << 20) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += buf.length;
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}
