import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SdkPresigner } from '../../functions/aws/presigner.js';
import { writeOrders } from '../../functions/runner/orders.js';
import {
  allowedS3Hosts,
  buildOrder,
  checkOrderUrl,
  MAX_ORDER_CLOCK_SKEW_MS,
  type Order,
  observationKey,
  orderKeys,
  orderScope,
  validateOrder,
} from '../../shared/probes/orders.js';
import { planRun } from '../../shared/probes/plan.js';
import { config, T0 } from './loop-fixtures.js';
import { MemoryStore } from './memory-store.js';

// A presigned query string shaped like the AWS SDK's (fake credentials from the AWS docs examples).
const SECRET_SIG = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const Q = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${SECRET_SIG}`;
const HOST = 'example-data-bucket.s3.us-east-1.amazonaws.com';
const RESULTS = 'example-pathguard-results.s3.us-east-1.amazonaws.com';
const allowed = [HOST, RESULTS];
const P1 = '01JDQ7ZT0000000000000000AA';
const P2 = '01JDQ7ZT0000000000000000AB';

const order = (over: Partial<Order> = {}): Order => ({
  schemaVersion: 1,
  runnerId: 'onprem-dc1',
  runId: 'run-20261125T1000',
  issuedAt: '2026-11-25T10:00:00.000Z',
  notAfter: '2026-11-25T10:15:00.000Z',
  probes: [P1, P2].map((probeId) => ({
    probeId,
    url: `https://${HOST}/pathguard/probes/2026/11/25/${probeId}.bin?${Q}`,
    expectedSha256: 'a'.repeat(64),
    reportUrl: `https://${RESULTS}/observations/run-20261125T1000/${probeId}.json?${Q}`,
  })),
  ...over,
});
const scope = { probeBuckets: ['example-data-bucket'], resultsBucket: 'example-pathguard-results' };
const check = { now: new Date('2026-11-25T10:05:00Z'), runnerId: 'onprem-dc1', allowedHosts: allowed, scope };

describe('checkOrderUrl: the SSRF guard', () => {
  const ok = (url: string, opts: Partial<Parameters<typeof checkOrderUrl>[1]> = {}) =>
    checkOrderUrl(url, { allowedHosts: allowed, ...opts });

  it('accepts https URLs on an allowed host, matching the host case-insensitively', () => {
    expect(ok(`https://${HOST}/k?${Q}`)).toBeNull();
    expect(ok(`https://EXAMPLE-DATA-BUCKET.S3.US-EAST-1.AMAZONAWS.COM/k?${Q}`)).toBeNull();
    expect(ok(`https://${HOST}:443/k`)).toBeNull(); // the default port is no port
    expect(ok(`https://${HOST}/k`, { allowedHosts: [HOST.toUpperCase()] })).toBeNull();
  });

  it('refuses any other host, including look-alikes', () => {
    for (const url of [
      'https://evil.example.com/k',
      `https://${HOST}.evil.example/k`,
      `https://evil-${HOST}/k`,
      'https://other-bucket.s3.us-east-1.amazonaws.com/k',
      `https://${HOST}./k`,
    ]) {
      expect(ok(url), url).toMatch(/not an allowed S3 endpoint host/);
    }
  });

  it('refuses IP literals even when listed, in every notation the URL parser normalises', () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data/',
      'https://2852039166/latest/meta-data/', // 169.254.169.254 as one decimal number
      'https://0xa9.0xfe.0xa9.0xfe/',
      'https://[fd00:ec2::254]/latest/meta-data/',
      'https://[::ffff:169.254.169.254]/',
    ]) {
      expect(
        ok(url, { allowedHosts: ['169.254.169.254', '[fd00:ec2::254]', '[::ffff:a9fe:a9fe]'] }),
        url,
      ).toMatch(/IP address/);
    }
  });

  it('refuses user info, other schemes, plain http and non-default ports', () => {
    expect(ok(`https://user:pw@${HOST}/k`)).toMatch(/user info/);
    expect(ok(`https://user@${HOST}/k`)).toMatch(/user info/);
    expect(ok(`http://${HOST}/k`)).toMatch(/scheme http:/);
    expect(ok(`file:///etc/passwd`)).toMatch(/scheme file:/);
    expect(ok(`ftp://${HOST}/k`)).toMatch(/scheme ftp:/);
    expect(ok('not a url')).toBe('not a URL');
    expect(ok(`https://${HOST}:8443/k`)).toMatch(/not an allowed/);
    // A port is allowed only when listed with it.
    expect(ok(`https://${HOST}:8443/k`, { allowedHosts: [`${HOST}:8443`] })).toBeNull();
  });

  it('allows plain http and loopback IPs only with the lab switch, still on listed hosts only', () => {
    expect(ok('http://127.0.0.1:9000/k', { allowedHosts: ['127.0.0.1:9000'], allowHttp: true })).toBeNull();
    expect(ok('http://127.0.0.1:9001/k', { allowedHosts: ['127.0.0.1:9000'], allowHttp: true })).toMatch(
      /not an allowed/,
    );
    expect(ok('http://127.0.0.1:9000/k', { allowedHosts: ['127.0.0.1:9000'] })).toMatch(/scheme http:/);
  });
});

describe('checkOrderUrl: buckets, whatever the host style', () => {
  const PATH_HOST = 's3.us-east-1.amazonaws.com';
  const hosts = [HOST, RESULTS, PATH_HOST];
  const probe = { buckets: ['example-data-bucket'] };
  const report = { buckets: ['example-pathguard-results'], key: observationKey('run-1', P1) };

  it('reads the bucket from a virtual-hosted name or the first path segment of a path-style URL', () => {
    expect(checkOrderUrl(`https://${HOST}/k?${Q}`, { allowedHosts: hosts }, probe)).toBeNull();
    expect(
      checkOrderUrl(`https://${PATH_HOST}/example-data-bucket/k?${Q}`, { allowedHosts: hosts }, probe),
    ).toBeNull();
    // A virtual-hosted name keeps its bucket whatever the path says.
    expect(checkOrderUrl(`https://${HOST}/other-bucket/k`, { allowedHosts: hosts }, probe)).toBeNull();
  });

  it('refuses a path-style URL to any other bucket, for probes and for reports', () => {
    for (const url of [
      `https://${PATH_HOST}/attacker-bucket/collect?${Q}`,
      `https://${PATH_HOST}/example-pathguard-results/observations/run-1/${P1}.json`,
      `https://${PATH_HOST}/example-data-bucket.evil/k`,
      `https://${PATH_HOST}/`,
      `https://${PATH_HOST}//example-data-bucket/k`,
      `https://${PATH_HOST}/example-data-bucket/../attacker-bucket/k`,
      `https://${PATH_HOST}/example-data-bucket/%2e%2e/attacker-bucket/k`,
      `https://${PATH_HOST}/example-data-bucket%2F..%2Fattacker-bucket/k`,
    ]) {
      const why = checkOrderUrl(url, { allowedHosts: hosts }, probe);
      expect(why, url).toMatch(/^bucket .* is not one of example-data-bucket$/);
      expect(why).not.toContain('0123456789abcdef');
    }
    expect(
      checkOrderUrl(
        `https://${PATH_HOST}/attacker-bucket/observations/run-1/${P1}.json`,
        { allowedHosts: hosts },
        report,
      ),
    ).toMatch(/bucket attacker-bucket is not one of example-pathguard-results/);
  });

  it('sends a report only to its own key in the results bucket, in either style', () => {
    const allow = { allowedHosts: hosts };
    expect(checkOrderUrl(`https://${RESULTS}/observations/run-1/${P1}.json?${Q}`, allow, report)).toBeNull();
    expect(
      checkOrderUrl(
        `https://${PATH_HOST}/example-pathguard-results/observations/run-1/${P1}.json`,
        allow,
        report,
      ),
    ).toBeNull();
    for (const url of [
      `https://${RESULTS}/observations/run-1/${P2}.json`, // another probe's report
      `https://${RESULTS}/observations/run-2/${P1}.json`, // another run
      `https://${RESULTS}/orders/onprem-dc1/latest.json`, // the order itself
      `https://${RESULTS}/state/alerts.json`,
    ]) {
      expect(checkOrderUrl(url, allow, report), url).toMatch(/^key .* is not observations\/run-1\//);
    }
    // The probe bucket is no place for a report, even on an allowed host.
    expect(checkOrderUrl(`https://${HOST}/observations/run-1/${P1}.json`, allow, report)).toMatch(/^bucket/);
  });

  it('lets an access point name itself, never stand in for the results bucket', () => {
    const ap = 'probes-123456789012.s3-accesspoint.us-west-2.amazonaws.com';
    expect(checkOrderUrl(`https://${ap}/k`, { allowedHosts: [ap] }, probe)).toBeNull();
    expect(checkOrderUrl(`https://${ap}/k`, { allowedHosts: [ap] }, report)).toMatch(/access point/);
  });

  it('reads the lab endpoint (a host S3 does not own) path-style', () => {
    const lab = { allowedHosts: ['127.0.0.1:9000'], allowHttp: true };
    expect(checkOrderUrl('http://127.0.0.1:9000/example-data-bucket/k', lab, probe)).toBeNull();
    expect(checkOrderUrl('http://127.0.0.1:9000/other/k', lab, probe)).toMatch(/bucket other/);
  });

  it('property: a URL passes only when the bucket S3 would read is an allowed one', () => {
    const buckets = [
      'example-data-bucket',
      'other-bucket',
      'example-pathguard-results',
      'evil.example-data-bucket',
    ];
    const dot = fc.constantFrom('..', '%2e%2e', '.%2E', '%2E.');
    const shape = fc.record({
      style: fc.constantFrom('virtual', 'path'),
      bucket: fc.constantFrom(...buckets),
      decoy: fc.constantFrom(...buckets),
      upper: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      trailingDot: fc.boolean(),
      encode: fc.constantFrom('none', 'some', 'all', 'slash'),
      dotdot: fc.constantFrom('none', 'decoy-then-up', 'bucket-then-up'),
      dot,
      slashes: fc.constantFrom('none', 'lead', 'mid'),
      // Keys without dot segments: a key `..` would itself climb out of the bucket segment.
      key: fc.stringMatching(/^[a-z0-9_-]{0,8}(\/[a-z0-9_.-]{0,3}[a-z0-9_-]){0,3}$/),
    });
    const mixCase = (s: string, upper: boolean[]) =>
      [...s].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
    const pct = (s: string, all: boolean) =>
      [...s]
        .map((c, i) => (all || i % 2 === 0 ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
        .join('');
    fc.assert(
      fc.property(shape, (x) => {
        const seg = (b: string) =>
          x.encode === 'some' ? pct(b, false) : x.encode === 'all' ? pct(b, true) : b;
        // The bucket S3 reads, from how the URL was built (not from the code under test).
        let effective: string | null = x.bucket;
        let path: string;
        if (x.style === 'virtual') {
          path = x.dotdot === 'none' ? `/${x.key}` : `/${x.decoy}/${x.dot}/${x.key}`;
        } else if (x.encode === 'slash') {
          path = `/${x.bucket}%2F${x.dot}%2F${x.decoy}/${x.key}`;
          effective = null; // one segment that is no bucket name
        } else if (x.dotdot === 'decoy-then-up') {
          path = `/${seg(x.decoy)}/${x.dot}/${seg(x.bucket)}/${x.key}`;
        } else if (x.dotdot === 'bucket-then-up') {
          path = `/${seg(x.bucket)}/${x.dot}/${seg(x.decoy)}/${x.key}`;
          effective = x.decoy;
        } else {
          path = `/${seg(x.bucket)}/${x.key}`;
        }
        if (x.style === 'path' && x.slashes === 'lead') {
          path = `/${path}`;
          effective = null;
        } else if (x.slashes === 'mid') {
          path = `${path}//k`;
        }
        const service = mixCase(PATH_HOST, x.upper);
        const host = x.style === 'virtual' ? `${mixCase(x.bucket, x.upper.slice(7))}.${service}` : service;
        const url = `https://${host}${x.trailingDot ? '.' : ''}${path}?${Q}`;
        const why = checkOrderUrl(url, { allowedHosts: [HOST, PATH_HOST] }, probe);
        const hostListed = !x.trailingDot && (x.style === 'path' || x.bucket === 'example-data-bucket');
        const expectOk = hostListed && effective === 'example-data-bucket';
        return expectOk ? why === null : why !== null;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('buildOrder', () => {
  it('makes a schema-valid order that expires with its URLs', () => {
    const o = buildOrder({
      runnerId: 'onprem-dc1',
      runId: 'run-20261125T1000',
      issuedAt: new Date('2026-11-25T10:00:00Z'),
      expirySeconds: 900,
      probes: order().probes,
    });
    expect(o).toEqual(order());
    expect(validateOrder(o, check).ok).toBe(true);
  });
});

describe('validateOrder', () => {
  it('accepts a fresh order for this runner on allowed hosts', () => {
    const r = validateOrder(order(), check);
    expect(r.ok && r.value.probes.map((p) => p.probeId)).toEqual([P1, P2]);
    // Valid up to and including notAfter.
    expect(validateOrder(order(), { ...check, now: new Date('2026-11-25T10:15:00.000Z') }).ok).toBe(true);
  });

  it('refuses a stale order', () => {
    const r = validateOrder(order(), { ...check, now: new Date('2026-11-25T10:15:00.001Z') });
    expect(!r.ok && r.error.code).toBe('ORDER_STALE');
    expect(!r.ok && r.error.message).toContain('2026-11-25T10:15:00.000Z');
  });

  it('refuses an order issued more than the clock skew after the host clock, naming both times', () => {
    const at = (offsetMs: number) => {
      const issued = new Date(check.now.getTime() + offsetMs);
      return buildOrder({ ...order(), issuedAt: issued, expirySeconds: 900, probes: order().probes });
    };
    expect(MAX_ORDER_CLOCK_SKEW_MS).toBe(5 * 60 * 1000);
    expect(validateOrder(at(MAX_ORDER_CLOCK_SKEW_MS), check).ok).toBe(true);
    const r = validateOrder(at(MAX_ORDER_CLOCK_SKEW_MS + 1), check);
    expect(!r.ok && r.error.code).toBe('ORDER_NOT_YET_VALID');
    expect(!r.ok && r.error.message).toContain('2026-11-25T10:10:00.001Z');
    expect(!r.ok && r.error.message).toContain(check.now.toISOString());
    // A pre-dated order is refused whatever its lifetime; an order issued in the past within its
    // lifetime is not affected by the skew rule.
    fc.assert(
      fc.property(fc.integer({ min: -899_000, max: 6 * 24 * 3600 * 1000 }), (offset) => {
        const v = validateOrder(at(offset), check);
        if (offset > MAX_ORDER_CLOCK_SKEW_MS) return !v.ok && v.error.code === 'ORDER_NOT_YET_VALID';
        return v.ok;
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an order addressed to another runner', () => {
    const r = validateOrder(order(), { ...check, runnerId: 'onprem-dc2' });
    expect(!r.ok && r.error.code).toBe('ORDER_WRONG_RUNNER');
  });

  it('refuses a tampered probe URL or report URL, naming the probe, with the URL redacted', () => {
    const base = order();
    const tampered = [
      { ...base.probes[0]!, url: `https://attacker.example/collect?${Q}` },
      { ...base.probes[1]!, reportUrl: `https://10.0.0.5/observations?${Q}` },
    ];
    for (const [i, p] of tampered.entries()) {
      const probes = [...base.probes];
      probes[i] = p;
      const r = validateOrder({ ...base, probes }, check);
      expect(!r.ok && r.error.code).toBe('ORDER_HOST_NOT_ALLOWED');
      expect(!r.ok && r.error.message).toContain(p.probeId);
      expect(!r.ok && r.error.message).not.toContain(SECRET_SIG);
      expect(!r.ok && r.error.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    }
  });

  it('refuses malformed documents with ORDER_INVALID and a path', () => {
    const cases: [unknown, RegExp][] = [
      [null, /\(root\)/],
      [{ ...order(), schemaVersion: 2 }, /schemaVersion/],
      [{ ...order(), extra: true }, /Unrecognized key/],
      [
        { ...order(), probes: [{ ...order().probes[0]!, expectedSha256: 'xyz' }] },
        /probes\.0\.expectedSha256/,
      ],
      [{ ...order(), notAfter: 'tomorrow' }, /notAfter/],
      [{ ...order(), probes: [order().probes[0]!, order().probes[0]!] }, /twice/],
      [{ ...order(), issuedAt: '2026-11-25T11:00:00.000Z' }, /not valid after it is issued/],
      [{ ...order(), notAfter: '2026-12-25T10:00:00.000Z' }, /beyond 7 days/],
    ];
    for (const [doc, msg] of cases) {
      const r = validateOrder(doc, check);
      expect(!r.ok && r.error.code).toBe('ORDER_INVALID');
      expect(!r.ok && r.error.message).toMatch(msg);
    }
  });
});

describe('allowedS3Hosts', () => {
  const endpointDns = 'bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com';
  const cfg = config({
    targets: [
      {
        bucket: 'example-data-bucket',
        region: 'us-east-1',
        styles: ['regional', 'global', 'path-style', 'dualstack', 'fips', 'accelerate', 'interface-endpoint'],
        interfaceEndpointDns: endpointDns,
      },
      {
        bucket: 'example-ap-bucket',
        region: 'us-west-2',
        styles: ['access-point'],
        accessPointArn: 'arn:aws:s3:us-west-2:123456789012:accesspoint/probes',
      },
      { bucket: 'example-cn-bucket', region: 'cn-north-1', styles: ['regional'] },
    ],
  });
  const hosts = allowedS3Hosts(cfg);

  it('lists the virtual-hosted and path-style hosts of every style, and the results bucket', () => {
    expect(hosts).toEqual(
      expect.arrayContaining([
        'example-data-bucket.s3.us-east-1.amazonaws.com',
        's3.us-east-1.amazonaws.com',
        'example-data-bucket.s3.amazonaws.com',
        's3.amazonaws.com',
        'example-data-bucket.s3.dualstack.us-east-1.amazonaws.com',
        's3.dualstack.us-east-1.amazonaws.com',
        'example-data-bucket.s3-fips.us-east-1.amazonaws.com',
        's3-fips.us-east-1.amazonaws.com',
        'example-data-bucket.s3-accelerate.amazonaws.com',
        `example-data-bucket.${endpointDns}`,
        endpointDns,
        'probes-123456789012.s3-accesspoint.us-west-2.amazonaws.com',
        'example-ap-bucket.s3.us-west-2.amazonaws.com',
        'example-cn-bucket.s3.cn-north-1.amazonaws.com.cn',
        'example-pathguard-results.s3.us-east-1.amazonaws.com',
      ]),
    );
    // Nothing a style did not ask for: accelerate has no path style, no global for us-west-2.
    expect(hosts).not.toContain('s3-accelerate.amazonaws.com');
    expect(hosts).not.toContain('example-ap-bucket.s3.amazonaws.com');
    expect(hosts).toEqual([...hosts].sort());
    expect(new Set(hosts).size).toBe(hosts.length);
  });

  it('covers the hosts the AWS SDK actually presigns for every style', async () => {
    // Presigning is local computation; the credentials are the AWS documentation's examples.
    const presigner = new SdkPresigner({
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    });
    for (const t of cfg.targets) {
      for (const style of t.styles) {
        const url = await presigner.presignGet({
          bucket: t.bucket,
          key: 'pathguard/probes/2026/11/25/x.bin',
          region: t.region,
          style,
          expiresInSeconds: 900,
          ...(t.accessPointArn ? { accessPointArn: t.accessPointArn } : {}),
          ...(t.interfaceEndpointDns ? { interfaceEndpointDns: t.interfaceEndpointDns } : {}),
        });
        // The host is listed, and the bucket read from host or path is the target's.
        expect(
          checkOrderUrl(url, { allowedHosts: hosts }, { buckets: orderScope(cfg).probeBuckets }),
          `${t.bucket} ${style}`,
        ).toBeNull();
      }
    }
    const put = await presigner.presignPut({
      bucket: cfg.resultsBucket,
      key: 'observations/run-1/x.json',
      region: cfg.region,
      expiresInSeconds: 900,
    });
    const report = { buckets: [cfg.resultsBucket], key: 'observations/run-1/x.json' };
    expect(checkOrderUrl(put, { allowedHosts: hosts }, report)).toBeNull();
    expect(
      checkOrderUrl(put, { allowedHosts: hosts }, { ...report, key: 'observations/run-1/y.json' }),
    ).toMatch(/key observations\/run-1\/x\.json is not/);
  });
});

describe('writeOrders', () => {
  it("writes each on-prem runner's latest and dated order, which that runner accepts", async () => {
    const cfg = config();
    const store = new MemoryStore();
    const presigner = new SdkPresigner({
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    });
    const planned = planRun(cfg, 'run-20261125T1000', {
      now: T0,
      random: (n) => new Uint8Array(randomBytes(n)),
      sha256: (b) => createHash('sha256').update(b).digest('hex'),
    }).filter((p) => p.vantage.kind === 'onprem');
    expect(planned.length).toBe(2);
    const items = await Promise.all(
      planned.map(async (p) => ({
        planned: p,
        request: {
          method: 'get' as const,
          url: await presigner.presignGet({ ...p, expiresInSeconds: cfg.urlExpirySeconds }),
        },
      })),
    );
    const [written] = await writeOrders(store, presigner, cfg, items, 'run-20261125T1000', T0);
    const keys = orderKeys('onprem-dc1', 'run-20261125T1000', T0);
    expect(keys).toEqual({
      latest: 'orders/onprem-dc1/latest.json',
      dated: 'orders/onprem-dc1/2026/11/25/run-20261125T1000.json',
    });
    const latest = await store.getJson<Order>(keys.latest);
    expect(latest?.value).toEqual(written);
    expect((await store.getJson<Order>(keys.dated))?.value).toEqual(written);
    expect(written?.notAfter).toBe('2026-11-25T10:15:00.000Z');
    expect(written?.probes.map((p) => [p.probeId, p.expectedSha256])).toEqual(
      planned.map((p) => [p.probeId, p.sha256]),
    );
    const report = new URL(written?.probes[0]?.reportUrl ?? '');
    expect(report.hostname).toBe(RESULTS);
    expect(report.pathname).toBe(`/observations/run-20261125T1000/${planned[0]?.probeId}.json`);
    const r = validateOrder(latest?.value, {
      now: T0,
      runnerId: 'onprem-dc1',
      allowedHosts: allowedS3Hosts(cfg),
      scope: orderScope(cfg),
    });
    expect(r.ok).toBe(true);
  });
});

describe('orders with uploads (put, post): the same guard as a GET URL', () => {
  const body = Buffer.alloc(64, 9);
  const sha = createHash('sha256').update(body).digest('hex');
  const put = (over: Record<string, unknown> = {}) => ({
    probeId: P1,
    method: 'put' as const,
    url: `https://${HOST}/pathguard/probes/2026/11/25/${P1}.bin?${Q}&x-id=PutObject`,
    body: body.toString('base64'),
    expectedSha256: sha,
    reportUrl: `https://${RESULTS}/observations/run-20261125T1000/${P1}.json?${Q}`,
    ...over,
  });
  const form = (fields: Record<string, string> = {}, url = `https://${HOST}/`) => ({
    url,
    fields: {
      bucket: 'example-data-bucket',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20261125/us-east-1/s3/aws4_request',
      'X-Amz-Date': '20261125T100000Z',
      key: `pathguard/probes/2026/11/25/${P2}.bin`,
      Policy: 'eyJleHBpcmF0aW9uIjoiMjAyNi0xMS0yNVQxMDoxNTowMFoiLCJjb25kaXRpb25zIjpbXX0=',
      'X-Amz-Signature': SECRET_SIG,
      ...fields,
    },
  });
  const post = (over: Record<string, unknown> = {}) => ({
    probeId: P2,
    method: 'post' as const,
    form: form(),
    body: body.toString('base64'),
    expectedSha256: sha,
    reportUrl: `https://${RESULTS}/observations/run-20261125T1000/${P2}.json?${Q}`,
    ...over,
  });
  const validate = (probes: unknown[]) => validateOrder({ ...order(), probes }, check);

  it('accepts a PUT URL with its bytes and a POST form with its bytes', () => {
    expect(validate([put(), post()]).ok).toBe(true);
    // The path-style form url names the bucket in its path, as a GET URL does.
    expect(
      validate([post({ form: form({}, 'https://s3.us-east-1.amazonaws.com/example-data-bucket') })]).ok,
    ).toBe(false); // s3.us-east-1.amazonaws.com is not in this allow-list
    expect(
      validateOrder(
        {
          ...order(),
          probes: [post({ form: form({}, 'https://s3.us-east-1.amazonaws.com/example-data-bucket') })],
        },
        { ...check, allowedHosts: [...allowed, 's3.us-east-1.amazonaws.com'] },
      ).ok,
    ).toBe(true);
  });

  it.each([
    ['a PUT without its bytes', () => put({ body: undefined }), 'ORDER_INVALID'],
    ['a POST without its form', () => post({ form: undefined }), 'ORDER_INVALID'],
    [
      'a POST with a url instead of a form',
      () => post({ form: undefined, url: `https://${HOST}/` }),
      'ORDER_INVALID',
    ],
    ['a GET with bytes to upload', () => ({ ...put({ method: 'get' }) }), 'ORDER_INVALID'],
    ['a form posted over http', () => post({ form: form({}, `http://${HOST}/`) }), 'ORDER_HOST_NOT_ALLOWED'],
    [
      'a form url on another host',
      () => post({ form: form({}, 'https://evil.example.com/') }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
    [
      'a form url of another bucket (path style)',
      () => post({ form: form({}, 'https://s3.us-east-1.amazonaws.com/someone-elses-bucket') }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
    [
      'a bucket field naming another bucket',
      () => post({ form: form({ bucket: 'someone-elses-bucket' }) }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
    ['a form without a key field', () => post({ form: form({ key: '' }) }), 'ORDER_HOST_NOT_ALLOWED'],
    [
      'a key that takes the file name',
      () => post({ form: form({ key: 'uploads/${filename}' }) }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
    [
      'a form field spanning lines',
      () => post({ form: form({ acl: 'private\r\nX: y' }) }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
    [
      'a PUT URL of another bucket',
      () => put({ url: `https://someone-elses-bucket.s3.us-east-1.amazonaws.com/k?${Q}` }),
      'ORDER_HOST_NOT_ALLOWED',
    ],
  ])('refuses %s', (_what, make, code) => {
    const r = validate([make()]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    // Errors are printed: the form's signature never is.
    expect(JSON.stringify({ message: r.error.message, ctx: r.error.context })).not.toContain(SECRET_SIG);
  });

  it('writes upload orders a runner accepts: the PUT URL or the POST form, and the bytes whose digest it names', async () => {
    const cfg = {
      ...config(),
      targets: config().targets.map((t) => ({
        ...t,
        methods: ['put', 'post'] as ('get' | 'put' | 'post')[],
      })),
    };
    const store = new MemoryStore();
    const presigner = new SdkPresigner({
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
    });
    const planned = planRun(cfg, 'run-20261125T1000', {
      now: T0,
      random: (n) => new Uint8Array(randomBytes(n)),
      sha256: (b) => createHash('sha256').update(b).digest('hex'),
    }).filter((p) => p.vantage.kind === 'onprem');
    const items = await Promise.all(
      planned.map(async (p) => {
        const up = await presigner.presignUpload({
          ...p,
          method: p.method as 'put' | 'post',
          expiresInSeconds: cfg.urlExpirySeconds,
          size: p.body.length,
          sha256Base64: Buffer.from(p.sha256, 'hex').toString('base64'),
        });
        return {
          planned: p,
          request:
            up.method === 'put'
              ? { ...up, body: p.body }
              : { method: 'post' as const, form: up.form, body: p.body },
        };
      }),
    );
    const [written] = await writeOrders(store, presigner, cfg, items, 'run-20261125T1000', T0);
    expect(written?.probes.map((p) => p.method).sort()).toEqual(planned.map((p) => p.method).sort());
    for (const p of written?.probes ?? []) {
      expect(
        createHash('sha256')
          .update(Buffer.from(p.body ?? '', 'base64'))
          .digest('hex'),
      ).toBe(p.expectedSha256);
      expect(
        p.method === 'post' ? [p.form?.url !== undefined, p.url] : [p.form, p.url !== undefined],
      ).toEqual(p.method === 'post' ? [true, undefined] : [undefined, true]);
    }
    const r = validateOrder(written, {
      now: T0,
      runnerId: 'onprem-dc1',
      allowedHosts: allowedS3Hosts(cfg),
      scope: orderScope(cfg),
    });
    expect(r.ok).toBe(true);
  });
});
