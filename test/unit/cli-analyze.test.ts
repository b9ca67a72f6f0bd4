import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// Fixtures: test/fixtures/analyze/README.md describes the run and the expected verdicts.
const F = 'test/fixtures/analyze';
const dir = mkdtempSync(join(tmpdir(), 'pathguard-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = [
  '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  'ASIAIOSFODNN7EXAMPLE',
  'IQoJb3JpZ2luX2VjEXAMPLE',
];

/** Runs the CLI; fails the test if any output holds a credential of the presigned URLs in the logs. */
async function run(args: string[]) {
  const r = await runCli(['analyze', ...args]);
  for (const s of SECRETS)
    expect(r.stdout.includes(s) || r.stderr.includes(s), 'a secret reached the output').toBe(false);
  return r;
}

const BASE = ['--config', `${F}/config.json`, '--env', `${F}/env.json`, '--probes', `${F}/probes.ndjson`];
const ALL = [
  ...BASE,
  '--observations',
  `${F}/observations.ndjson`,
  '--flow',
  `${F}/flow.log`,
  '--access',
  `${F}/access.log`,
  '--cloudtrail',
  `${F}/cloudtrail.json`,
  '--now',
  '2026-11-25T10:30:00Z',
];

interface JsonOut {
  verdicts: {
    probeId: string;
    verdict: string;
    code: string;
    path: string | null;
    silentSources: string[];
    evidence: { source: string }[];
  }[];
  alerts: {
    dedupKey: string;
    severity: string;
    subject: string;
    text: string;
    chatbot: { version: string; metadata: { threadId: string } };
    attributes: Record<string, string>;
  }[];
  realTraffic: {
    presignedRequests: number;
    nonPrivateRequests: number;
    nonPrivate: {
      remoteIp: string;
      hostHeader: string;
      count: number;
      firstSeen: string;
      lastSeen: string;
    }[];
  };
  records: { flow: number; access: number; cloudtrail: number };
}

const verdictsOf = (doc: JsonOut) =>
  Object.fromEntries(
    doc.verdicts.map((v) => [v.probeId.slice(-2), `${v.verdict}/${v.code}/${v.path ?? '-'}`]),
  );

describe('pathguard analyze', () => {
  it('decides every probe from exported AWS logs', async () => {
    const r = await run([...ALL, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as JsonOut;
    expect(verdictsOf(doc)).toEqual({
      P1: 'private/PRIVATE/gateway-endpoint',
      P2: 'left-path/LEFT_PATH/nat-gateway',
      P3: 'pending/PENDING_EVIDENCE/-',
      // No snapshot shows the tables of the request, so the route-derived flow record does not name the endpoint kind.
      P4: 'blocked/BLOCKED/vpc-endpoint',
      P5: 'left-path/LEFT_PATH/nat-gateway',
      P6: 'private/PRIVATE/interface-endpoint',
      P7: 'left-path/LEFT_PATH/public',
      P8: 'no-evidence/RUNNER_SILENT/-',
    });
    const p1 = doc.verdicts.find((v) => v.probeId.endsWith('P1'))!;
    // the access-log record delivered twice counts once; the reply flow counts as its own record
    expect(p1.evidence.map((e) => e.source).sort()).toEqual(['cloudtrail', 'flow', 'flow', 's3-access']);
    expect(doc.verdicts.find((v) => v.probeId.endsWith('P3'))!.silentSources).toEqual(['flow']);
    expect(doc.records).toEqual(expect.objectContaining({ access: 12, cloudtrail: 2 }));
    expect((doc as JsonOut & { unusedInputs: unknown[] }).unusedInputs).toEqual([]);
  });

  it('prints the alerts that would be sent, for every channel', async () => {
    const doc = JSON.parse((await run([...ALL, '--json'])).stdout) as JsonOut;
    expect(doc.alerts.map((a) => [a.dedupKey, a.severity]).sort()).toEqual([
      ['*|*|onprem-dc1|runner-silent', 'warning'],
      ['example-data-bucket|accelerate|vpc-app|left-path', 'critical'],
      ['example-data-bucket|global|onprem-dc1|left-path', 'critical'],
      ['example-data-bucket|regional|vpc-legacy|left-path', 'critical'],
    ]);
    for (const a of doc.alerts) {
      expect(a.subject.length).toBeLessThanOrEqual(100);
      expect(a.chatbot.version).toBe('1.0');
      expect(a.chatbot.metadata.threadId).toBe(a.dedupKey);
      expect(a.attributes.bucket).toBe('example-data-bucket');
    }
    const legacy = doc.alerts.find((a) => a.dedupKey.endsWith('vpc-legacy|left-path'))!;
    expect(legacy.text).toMatch(/has a route 52\.216\.0\.0\/16 -> nat-0800e2073dbe1ee03, more specific than/);
    const global = doc.alerts.find((a) => a.dedupKey.includes('|global|'))!;
    expect(global.text).toMatch(/Presign with the regional endpoint .* or the interface endpoint name/);
  });

  it('reports real presigned traffic that left the endpoint path, each request once', async () => {
    const doc = JSON.parse((await run([...ALL, '--json'])).stdout) as JsonOut;
    expect(doc.realTraffic.presignedRequests).toBe(3);
    expect(doc.realTraffic.nonPrivateRequests).toBe(2);
    expect(doc.realTraffic.nonPrivate).toEqual([
      expect.objectContaining({
        remoteIp: '203.0.113.25',
        hostHeader: 'example-data-bucket.s3.amazonaws.com',
        count: 2,
        firstSeen: '2026-11-25T09:12:44.000Z',
        lastSeen: '2026-11-25T10:02:05.000Z',
      }),
    ]);
  });

  it('prints a readable report by default', async () => {
    const r = await run(ALL);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PathGuard analysis at 2026-11-25T10:30:00.000Z: 8 probe\(s\)/);
    expect(r.stdout).toMatch(
      /01JDQ7ZT0000000000000000P5 +vpc-legacy +regional +get +example-data-bucket +left-path +nat-gateway +LEFT_PATH/,
    );
    expect(r.stdout).toMatch(/Alerts that would be sent: 4\n {2}CRITICAL/);
    expect(r.stdout).toContain('X-Amz-Signature=REDACTED');
  });

  it('reads gzip logs and judges deadlines at --now: later, the silent flow logs make P3 no-evidence', async () => {
    const gz = join(dir, 'flow.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(`${F}/flow.log`)));
    const args = ALL.map((a) =>
      a === `${F}/flow.log` ? gz : a === '2026-11-25T10:30:00Z' ? '2026-11-25T16:30:00Z' : a,
    );
    const doc = JSON.parse((await run([...args, '--json'])).stdout) as JsonOut;
    const p3 = doc.verdicts.find((v) => v.probeId.endsWith('P3'))!;
    expect(p3).toMatchObject({
      verdict: 'no-evidence',
      code: 'SOURCE_SILENT',
      silentSources: ['flow', 's3-access', 'cloudtrail'],
    });
    expect(doc.alerts.map((a) => a.dedupKey)).toContain('*|cloudtrail,flow,s3-access|vpc-app|no-evidence');
  });

  it('without observations every probe waits for its runner, then the runners are silent', async () => {
    const early = JSON.parse(
      (await run([...BASE, '--now', '2026-11-25T10:05:00Z', '--json'])).stdout,
    ) as JsonOut;
    expect(new Set(early.verdicts.map((v) => v.code))).toEqual(new Set(['PENDING_RUNNER']));
    expect(early.alerts).toEqual([]);
    const late = JSON.parse(
      (await run([...BASE, '--now', '2026-11-25T10:20:00Z', '--json'])).stdout,
    ) as JsonOut;
    expect(new Set(late.verdicts.map((v) => v.code))).toEqual(new Set(['RUNNER_SILENT']));
    expect(late.alerts.every((a) => a.severity === 'warning' && a.dedupKey.endsWith('|runner-silent'))).toBe(
      true,
    );
    // One alert per silent runner, whatever the number of buckets and styles it probes.
    const vantages = new Set(late.verdicts.map((v) => (v as { vantage?: string }).vantage));
    expect(late.alerts).toHaveLength(vantages.size);
  });

  it('counts bad log lines on stderr and goes on', async () => {
    const bad = join(dir, 'access-bad.log');
    writeFileSync(bad, `${readFileSync(`${F}/access.log`, 'utf8')}not an access log line\n`);
    const r = await run([...ALL.map((a) => (a === `${F}/access.log` ? bad : a)), '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^rejected 1 \(WRONG_FIELD_COUNT 1\)/);
  });

  it('reads every named input: without observations the flow files are still read, bad lines counted, and the reason printed', async () => {
    const flow = join(dir, 'flow-bad.log');
    writeFileSync(flow, `${readFileSync(`${F}/flow.log`, 'utf8')}not a flow record\n`);
    const records = readFileSync(`${F}/flow.log`, 'utf8').trimEnd().split('\n').length - 1;
    const r = await run([...BASE, '--flow', flow, '--now', '2026-11-25T10:30:00Z', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `analyze: --flow ${flow}: ${records} record(s) read but not used: flow records are matched by the runner's addresses, and no runner observation was given (--observations)`,
    );
    expect(r.stderr).toMatch(/^rejected 1 \(/m);
    const doc = JSON.parse(r.stdout) as JsonOut & { unusedInputs: unknown[] };
    expect(doc.unusedInputs).toEqual([
      { option: '--flow', files: [flow], records, reason: expect.stringContaining('--observations') },
    ]);
    expect(doc.records.flow).toBe(0);
    // An unreadable file is an input error, as when a query reads it.
    const missing = await run([...BASE, '--flow', join(dir, 'no-such-flow.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-flow\.log/);
  });

  it('says which evidence the config turns off, and still reads its files', async () => {
    const cfg = join(dir, 'config-no-trail.json');
    const doc = JSON.parse(readFileSync(`${F}/config.json`, 'utf8')) as {
      evidence: { cloudTrail: Record<string, unknown> };
    };
    doc.evidence.cloudTrail.enabled = false;
    writeFileSync(cfg, JSON.stringify(doc));
    const r = await run([...ALL.map((a) => (a === `${F}/config.json` ? cfg : a)), '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /analyze: --cloudtrail \S+cloudtrail\.json: \d+ record\(s\) read but not used: the config turns this evidence off \(evidence\.cloudTrail\.enabled is false\)/,
    );
    expect(r.stderr).not.toMatch(/--flow|--access/);
  });

  it('--fail-on left-path|no-evidence: exit 3 after the full report when such a verdict is decided', async () => {
    // The fixture run has 3 left-path and 1 no-evidence (P8, a silent runner).
    for (const [flags, code, line] of [
      [['--fail-on', 'left-path'], 3, 'pathguard analyze: --fail-on: 3 left-path\n'],
      [['--fail-on', 'no-evidence'], 3, 'pathguard analyze: --fail-on: 1 no-evidence\n'],
      [
        ['--fail-on', 'left-path,no-evidence'],
        3,
        'pathguard analyze: --fail-on: 3 left-path, 1 no-evidence\n',
      ],
      [
        ['--fail-on', 'left-path', '--fail-on', 'no-evidence'],
        3,
        'pathguard analyze: --fail-on: 3 left-path, 1 no-evidence\n',
      ],
      [[], 0, ''],
    ] as const) {
      const r = await run([...ALL, '--json', ...flags]);
      expect(r.code, flags.join(' ')).toBe(code);
      expect(r.stderr, flags.join(' ')).toBe(line);
      // The report is whole either way.
      expect((JSON.parse(r.stdout) as JsonOut).verdicts).toHaveLength(8);
    }
    // Early in the run nothing is decided yet: pending never fails.
    const early = await run([...BASE, '--now', '2026-11-25T10:05:00Z', '--fail-on', 'left-path,no-evidence']);
    expect(early.code).toBe(0);
  });

  it('--fail-on takes only left-path and no-evidence', async () => {
    for (const bad of ['blocked', 'high', 'left-path,pending', '']) {
      const r = await run([...ALL, '--fail-on', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(
        /^pathguard analyze: --fail-on must be left-path or no-evidence \(got '.*'\)\n$/,
      );
      expect(r.stdout, bad).toBe('');
    }
  });

  it('names verdict fields as lab --json must: vantage, style, bucket, verdict, path, urlFindings', async () => {
    const doc = JSON.parse((await run([...ALL, '--json'])).stdout) as {
      verdicts: Record<string, unknown>[];
    };
    for (const v of doc.verdicts) {
      expect(v).toMatchObject({ bucket: 'example-data-bucket', vantage: expect.any(String) });
      expect(v).not.toHaveProperty('target');
      expect(Array.isArray(v.urlFindings)).toBe(true);
    }
    // The global-endpoint probe's URL inspection finds the legacy global host (never info level).
    const global = doc.verdicts.find((v) => v.style === 'global' && v.vantage === 'onprem-dc1')!;
    expect(global.urlFindings).toEqual(['LEGACY_GLOBAL_ENDPOINT', 'ONPREM_NOT_PRIVATE']);
  });

  it('several files after one --flow/--access (a shell glob), same as repeated flags', async () => {
    const a = join(dir, 'flow-a.log');
    const b = join(dir, 'flow-b.log');
    const lines = readFileSync(`${F}/flow.log`, 'utf8').trimEnd().split('\n');
    const half = Math.ceil(lines.length / 2);
    writeFileSync(a, `${lines.slice(0, half).join('\n')}\n`);
    writeFileSync(b, `${[lines[0], ...lines.slice(half)].join('\n')}\n`);
    const rest = ALL.filter((x, i) => x !== `${F}/flow.log` && ALL[i + 1] !== `${F}/flow.log`);
    const spread = await run([...rest, '--flow', a, b, '--json']);
    const repeated = await run([...rest, '--flow', a, '--flow', b, '--json']);
    const whole = await run([...ALL, '--json']);
    expect(spread.code).toBe(0);
    expect(verdictsOf(JSON.parse(spread.stdout) as JsonOut)).toEqual(
      verdictsOf(JSON.parse(whole.stdout) as JsonOut),
    );
    expect(JSON.parse(spread.stdout)).toEqual(JSON.parse(repeated.stdout));
  });

  it('--format names the flow-log format; --flow-format still works with a warning', async () => {
    const noHeader = join(dir, 'flow-noheader.log');
    const [header, ...records] = readFileSync(`${F}/flow.log`, 'utf8').trimEnd().split('\n');
    writeFileSync(noHeader, `${records.join('\n')}\n`);
    const rest = ALL.filter((x, i) => x !== `${F}/flow.log` && ALL[i + 1] !== `${F}/flow.log`);
    const whole = verdictsOf(JSON.parse((await run([...ALL, '--json'])).stdout) as JsonOut);
    const r = await run([...rest, '--flow', noHeader, '--format', header!, '--json']);
    expect(r.stderr).toBe('');
    expect(verdictsOf(JSON.parse(r.stdout) as JsonOut)).toEqual(whole);
    const old = await run([...rest, '--flow', noHeader, '--flow-format', header!, '--json']);
    expect(old.stderr).toBe('pathguard analyze: warning: --flow-format is deprecated; use --format\n');
    expect(verdictsOf(JSON.parse(old.stdout) as JsonOut)).toEqual(whole);
    const both = await run([
      ...rest,
      '--flow',
      noHeader,
      '--flow-format',
      header!,
      '--format',
      'version srcaddr',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--flow-format is the old name of --format/);
  });

  it('names the missing option, the bad file and the bad line', async () => {
    expect((await run(['--config', `${F}/config.json`])).stderr).toMatch(/--env FILE is required/);
    const missing = await run([...BASE, '--access', join(dir, 'nope.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.log/);
    const badProbes = join(dir, 'probes.ndjson');
    writeFileSync(badProbes, `${readFileSync(`${F}/probes.ndjson`, 'utf8')}{"probeId":"x"}\n`);
    const r = await run(['--config', `${F}/config.json`, '--env', `${F}/env.json`, '--probes', badProbes]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/probes\.ndjson:9: runId: expected a string/);
    const badCfg = join(dir, 'config.json');
    writeFileSync(badCfg, JSON.stringify({ region: 'nowhere' }));
    expect(
      (await run(['--config', badCfg, '--env', `${F}/env.json`, '--probes', `${F}/probes.ndjson`])).stderr,
    ).toMatch(/region/);
  });
});

describe('analyze --out and --report', () => {
  it('writes the analysis folder report --in reads, and the report, with no secret in either', async () => {
    const out = join(dir, 'analysis');
    const report = join(dir, 'analysis.html');
    const r = await run([...ALL, '--out', out, '--report', report, '--json']);
    expect(r.code).toBe(0);
    const verdicts = (JSON.parse(r.stdout) as JsonOut).verdicts;
    const names = readdirSync(join(out, 'evidence')).sort();
    expect(names).toEqual(verdicts.map((v) => `${v.probeId}.json`).sort());
    for (const f of ['config.json', 'env.json', 'analysis.json', '.pathguard-analysis'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const page = readFileSync(report, 'utf8');
    expect(page.match(/<figure id="p-/g)).toHaveLength(verdicts.length);
    for (const v of verdicts) expect(page).toContain(`id="p-${v.probeId}"`);
    for (const s of SECRETS) expect(page.includes(s), 'a secret reached the report').toBe(false);
    // The report of the folder and the one written beside it show the same probes.
    const again = await runCli(['report', '--in', out]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8').match(/<figure id="p-/g)).toHaveLength(
      verdicts.length,
    );
    // --report alone needs no folder.
    const alone = join(dir, 'alone.html');
    expect((await run([...ALL, '--report', alone])).code).toBe(0);
    expect(readFileSync(alone, 'utf8').match(/<figure id="p-/g)).toHaveLength(verdicts.length);
  });

  it('refuses to write into a folder it did not make', async () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const r = await run([...ALL, '--out', foreign]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not empty and not an analysis folder/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });
});
