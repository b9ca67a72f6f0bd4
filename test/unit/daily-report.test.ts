import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../functions/aws/store-s3.js';
import {
  DAILY_REPORT_STATE_KEY,
  dailyReportKey,
  dailyReportLocation,
  dailyReports,
  resultsBucketReader,
  writeDailyReport,
} from '../../functions/lib/daily-report.js';
import { renderAlert, s3ConsoleUrl } from '../../shared/alerts/render.js';
import { validateConfig } from '../../shared/config/index.js';
import type { Environment } from '../../shared/env/types.js';
import { s3Body } from './aws-fakes.js';
import { makeBundle } from './report-fixtures.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'us-east-1' });
const store = new S3ObjectStore(client, 'results');
const cfg = (() => {
  const r = validateConfig({
    region: 'us-east-1',
    resultsBucket: 'results',
    targets: [{ bucket: 'example-data-bucket', region: 'us-east-1', styles: ['regional', 'accelerate'] }],
    vantages: [{ id: 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' }],
  });
  if (!r.ok) throw r.error;
  return r.value;
})();
const environment = {
  region: 'us-east-1',
  s3PrefixLists: [],
  prefixLists: [],
  vpcs: [],
  subnets: [],
  routeTables: [],
  gatewayEndpoints: [],
  interfaceEndpoints: [],
  natGateways: [],
  networkInterfaces: [],
  onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
} as unknown as Environment;

const body = (text: string) => s3Body([text]);
const noSuchKey = () => Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
const today = makeBundle({ probeId: 'T1', createdAt: '2026-12-03T10:00:00.000Z' });
const yesterday = makeBundle({ probeId: 'Y1', createdAt: '2026-12-02T10:00:00.000Z', verdict: 'private' });
const stored = {
  'evidence/2026/12/03/T1.json': JSON.stringify(today),
  'evidence/2026/12/02/Y1.json': JSON.stringify(yesterday),
} as Record<string, string>;

function bucket(state: string | null) {
  s3.reset();
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
    Contents: Object.keys(stored)
      .filter((k) => k.startsWith(input.Prefix))
      .map((Key) => ({ Key })),
  }));
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (input.Key === DAILY_REPORT_STATE_KEY && state !== null) return { Body: body(state), ETag: '"s"' };
    const text = stored[input.Key];
    if (text === undefined) throw noSuchKey();
    return { Body: body(text), ETag: '"e"' };
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"p"' });
}

const now = new Date('2026-12-03T12:00:00.000Z');
const deps = () => ({ reader: resultsBucketReader(client, 'results', store), store, cfg, environment, now });

describe('the daily evidence report', () => {
  beforeEach(() => bucket(null));

  it('writes reports/YYYY/MM/DD.html from that day folder alone, with each bundle digest of its stored bytes', async () => {
    const r = await writeDailyReport(new Date('2026-12-03T00:00:00Z'), deps());
    expect(r).toMatchObject({ key: 'reports/2026/12/03.html', probes: 1 });
    const lists = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);
    expect(lists).toEqual(['evidence/2026/12/03/', 'reports/real-traffic/2026/12/03/']);
    // Only its own prefixes are read: no config.json, analysis.json or env.json GETs the role may not make.
    const gets = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key);
    expect(gets).toEqual(['evidence/2026/12/03/T1.json', 'state/alerts.json']);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'results',
      Key: 'reports/2026/12/03.html',
      ContentType: 'text/html; charset=utf-8',
    });
    // No encryption override: the bucket's default SSE-KMS key applies, as for every other object.
    expect(put.ServerSideEncryption).toBeUndefined();
    const page = Buffer.from(put.Body as Uint8Array).toString('utf8');
    expect(page).toContain('id="p-T1"');
    expect(page).not.toContain('id="p-Y1"');
    expect(page).toContain(createHash('sha256').update(stored['evidence/2026/12/03/T1.json']!).digest('hex'));
  });

  it('writes yesterday once on a new day and today when the run alerted; nothing on a quiet run of a reported day', async () => {
    const first = await dailyReports({ ...deps(), alertsSent: 1 });
    expect(first.map((r) => r.key)).toEqual(['reports/2026/12/02.html', 'reports/2026/12/03.html']);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(puts).toEqual(['reports/2026/12/02.html', DAILY_REPORT_STATE_KEY, 'reports/2026/12/03.html']);
    bucket(JSON.stringify({ day: '2026-12-02' }));
    expect(await dailyReports({ ...deps(), alertsSent: 0 })).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails with the call named when S3 throttles or errors, so the handler reports it and keeps the run', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    await expect(writeDailyReport(new Date('2026-12-03T00:00:00Z'), deps())).rejects.toThrow(
      /GetObject s3:\/\/results\/evidence\/2026\/12\/03\/T1\.json/,
    );
    bucket(null);
    s3.on(PutObjectCommand).rejects(
      Object.assign(new Error('We encountered an internal error.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    await expect(writeDailyReport(new Date('2026-12-03T00:00:00Z'), deps())).rejects.toThrow(
      /PutObject s3:\/\/results\/reports\/2026\/12\/03\.html/,
    );
  });

  it('is named in alerts by its S3 console page in the partition of its Region, never by a presigned URL', () => {
    expect(dailyReportKey(new Date('2026-01-09T23:59:59Z'))).toBe('reports/2026/01/09.html');
    const loc = dailyReportLocation(cfg, now);
    expect(s3ConsoleUrl(loc)).toBe(
      'https://console.aws.amazon.com/s3/object/results?region=us-east-1&prefix=reports%2F2026%2F12%2F03.html',
    );
    expect(s3ConsoleUrl({ ...loc, region: 'cn-north-1' })).toMatch(/^https:\/\/console\.amazonaws\.cn\//);
    expect(s3ConsoleUrl({ ...loc, region: 'us-gov-west-1' })).toMatch(
      /^https:\/\/console\.amazonaws-us-gov\.com\//,
    );
    const alert = renderAlert(
      {
        dedupKey: 'drift|X|rtb-1',
        kind: 'posture-drift',
        severity: 'warning',
        reason: 'new',
        probe: null,
        verdict: null,
        drift: { code: 'X', severity: 'warning', message: 'route changed', resource: 'rtb-1' },
        closes: [],
        openedAt: null,
        sentCount: 0,
      },
      { now, report: loc },
    );
    expect(alert.text).toContain(
      `Evidence report: s3://results/reports/2026/12/03.html (${s3ConsoleUrl(loc)})`,
    );
    expect(alert.text).not.toMatch(/X-Amz-|Signature=/);
    expect(
      (alert.chatbot as { metadata: { additionalContext: Record<string, string> } }).metadata
        .additionalContext.evidenceReport,
    ).toBe(s3ConsoleUrl(loc));
  });
});
