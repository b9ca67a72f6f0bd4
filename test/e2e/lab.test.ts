import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCommand } from '../../functions/cli/commands/analyze.js';
import { labCommand, labJson, labReport } from '../../functions/cli/commands/lab.js';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import {
  LAB_FLOW_LOG_FORMAT,
  loadLabScenario,
  parseLabScenario,
  simulateRequest,
} from '../../functions/lab/network/index.js';
import { analyzeCommandFor, runLab } from '../../functions/lab/run-lab.js';
import { LAB_S3_CREDENTIAL } from '../../functions/lab/s3/index.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCommand } from '../unit/run-cli.js';

const scenario = (name: string) =>
  loadLabScenario(new URL(`../../functions/lab/scenarios/${name}.json`, import.meta.url).pathname);
/** A verdict's cell: `vantage style`, with the method for uploads (`onprem-dc1 regional put`). */
const cell = (v: { vantage: string; style: string; method: string }) =>
  `${v.vantage} ${v.style}${v.method === 'get' ? '' : ` ${v.method}`}`;
const matrix = (r: Awaited<ReturnType<typeof runLab>>) =>
  Object.fromEntries(labJson(r).verdicts.map((v) => [cell(v), `${v.verdict} ${v.path}`]));
/**
 * Adds the lab's upload probes (a presigned PUT and a POST form on the regional style) to an
 * expected matrix: an upload takes the same path as the download on the same vantage and style.
 */
const withUploads = (m: Record<string, string>) => ({
  ...m,
  ...Object.fromEntries(
    Object.entries(m)
      .filter(([k]) => k.endsWith(' regional'))
      .flatMap(([k, v]) => [
        [`${k} put`, v],
        [`${k} post`, v],
      ]),
  ),
});

const tmp = mkdtempSync(join(tmpdir(), 'pathguard-lab-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;
const outDir = () => join(tmp, `run-${++runs}`);

/** The lab command's stdout, run as `pathguard lab [args]` would. */
async function command(values: Record<string, string | boolean>): Promise<string> {
  const { code, stdout } = await runCommand(labCommand, values);
  expect(code).toBe(0);
  return stdout;
}

/** True when a text holds a presigned URL's secret parts (checked as booleans: never print them). */
const holdsSecret = (text: string) =>
  /X-Amz-Signature=[0-9a-f]{64}/.test(text) ||
  // A POST form's signature, as a JSON field.
  /"x-amz-signature"\s*:\s*"[0-9a-f]{64}"/i.test(text) ||
  text.includes(LAB_S3_CREDENTIAL.accessKeyId) ||
  /X-Amz-Security-Token=[^&\s"]{20,}/.test(text);

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? allFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

describe('the lab, end to end', () => {
  it('reaches the expected verdicts for the default scenario, from the real code reading AWS-format logs', async () => {
    const r = await runLab(await scenario('default'), { outDir: outDir() });
    expect(matrix(r)).toEqual({
      'vpc-app regional': 'private gateway-endpoint',
      'vpc-app global': 'private gateway-endpoint',
      'vpc-app interface-endpoint': 'private interface-endpoint',
      'vpc-app accelerate': 'left-path nat-gateway',
      'onprem-dc1 regional': 'left-path public',
      'onprem-dc1 global': 'left-path public',
      'onprem-dc1 interface-endpoint': 'private interface-endpoint',
      'onprem-dc1 accelerate': 'left-path public',
      // Global Accelerator addresses: outside the S3 prefix list, so the NAT route and the internet.
      'vpc-app mrap': 'left-path nat-gateway',
      'onprem-dc1 mrap': 'left-path public',
      // Uploads take the path of the download on the same vantage and style.
      'vpc-app regional put': 'private gateway-endpoint',
      'vpc-app regional post': 'private gateway-endpoint',
      'onprem-dc1 regional put': 'left-path public',
      'onprem-dc1 regional post': 'left-path public',
    });
    // The uploads' own requests are in the access log, with their operations.
    const ops = readFileSync(r.files.accessLog, 'utf8');
    expect([ops.includes(' REST.PUT.OBJECT '), ops.includes(' REST.POST.OBJECT ')]).toEqual([true, true]);
    const global = labJson(r).verdicts.find((v) => v.vantage === 'vpc-app' && v.style === 'global');
    expect(global?.urlFindings).toContain('LEGACY_GLOBAL_ENDPOINT');
    expect(labJson(r).alerts.every((a) => a.severity === 'critical')).toBe(true);
    // The six GET left-paths, and the on-prem PUT and POST (their own alert groups).
    expect(labJson(r).alerts).toHaveLength(8);
    // The logs carry the scenario's addresses, never loopback ones.
    const flows = readFileSync(r.files.flowLog, 'utf8');
    expect(flows.split('\n')[0]).toMatch(/^version account-id interface-id srcaddr/);
    // Booleans, not the texts: a failing assertion must not print log lines that hold signatures.
    expect(flows.includes(' 7\n')).toBe(true);
    expect(flows.includes('127.0.0.')).toBe(false);
    expect(readFileSync(r.files.accessLog, 'utf8').includes('127.0.0.')).toBe(false);

    // Presigned URLs are credentials: nothing the lab outputs (report data, outbox, bundles) holds a secret.
    const outputs = [
      labReport(r),
      JSON.stringify(labJson(r)),
      ...allFiles(r.files.outbox).map((f) => readFileSync(f, 'utf8')),
      ...allFiles(r.files.bundles).map((f) => readFileSync(f, 'utf8')),
    ].join('\n');
    expect(allFiles(r.files.bundles).length).toBe(14);
    expect(holdsSecret(outputs)).toBe(false);
    // The probes' own requests did carry signatures: the check above looks for something real.
    expect(holdsSecret(readFileSync(r.files.accessLog, 'utf8'))).toBe(true);
  });

  it('prints the readable report and the --json document through the command', async () => {
    const text = await command({ out: outDir() });
    expect(text).toMatch(/^vpc-app\s+private \(gateway-endpoint\)/m);
    expect(text).toContain('LEFT-PATH accelerate from vpc-app');
    expect(text).toMatch(
      /^vantage +regional +global +interface-endpoint +accelerate +mrap +regional put +regional post$/m,
    );
    expect(text).toContain('LEFT-PATH regional post from onprem-dc1');
    expect(text).toMatch(/Fix: /);
    expect(holdsSecret(text)).toBe(false);
    // The evidence report is written into the folder and its path printed.
    const reportPath = /^Evidence report: (.+)$/m.exec(text)?.[1];
    expect(reportPath).toMatch(/report\.html$/);
    const page = readFileSync(reportPath!, 'utf8');
    // One path diagram per evidence bundle of the run.
    const bundles = readdirSync(join(reportPath!, '..', 'evidence'));
    expect(bundles.length).toBeGreaterThanOrEqual(8);
    expect(page.match(/<figure id="p-/g)).toHaveLength(bundles.length);
    expect(holdsSecret(page)).toBe(false);
    const doc = JSON.parse(await command({ json: true, out: outDir() })) as {
      verdicts: {
        vantage: string;
        style: string;
        method: string;
        bucket: string;
        verdict: string;
        path: string;
        urlFindings: string[];
      }[];
      alerts: { severity: string; subject: string }[];
      outDir: string;
      report: string;
    };
    expect(doc.verdicts).toHaveLength(14);
    expect(doc.verdicts.map((v) => v.method).sort()).toEqual([
      ...Array(10).fill('get'),
      'post',
      'post',
      'put',
      'put',
    ]);
    expect(doc.verdicts[0]).toEqual({
      vantage: expect.any(String),
      style: expect.any(String),
      method: 'get',
      bucket: 'example-data-bucket',
      verdict: expect.any(String),
      path: expect.any(String),
      urlFindings: expect.any(Array),
    });
    expect(doc.alerts).toHaveLength(8);
    expect(doc.outDir.startsWith(tmp)).toBe(true);
    expect(doc.report).toBe(join(doc.outDir, 'report.html'));
    expect(readFileSync(doc.report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('npm start (its package.json command, as installed) prints the evidence report path, and the report is there', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const start = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
    ).scripts.start.split(' ');
    expect(start.slice(0, 2)).toEqual(['node', 'bin/pathguard.mjs']);
    const out = outDir();
    const r = spawnSync(process.execPath, [...start.slice(1), '--out', out], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Evidence report: ${join(out, 'report.html')}\n`);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  }, 120_000);

  it('turns VPC probes left-path after a more specific NAT route, and on-prem regional private with an inbound resolver', async () => {
    const r = await runLab(await scenario('nat-override'), { outDir: outDir() });
    expect(matrix(r)).toEqual(
      withUploads({
        'vpc-app regional': 'left-path nat-gateway',
        // The global name resolves to 52.217.36.12, outside the /16 the NAT route took over.
        'vpc-app global': 'private gateway-endpoint',
        'vpc-app interface-endpoint': 'private interface-endpoint',
        'vpc-app accelerate': 'left-path nat-gateway',
        'onprem-dc1 regional': 'private interface-endpoint',
        'onprem-dc1 global': 'left-path public',
        'onprem-dc1 interface-endpoint': 'private interface-endpoint',
        'onprem-dc1 accelerate': 'left-path public',
        // The inbound resolver answers MRAP names privately only with an s3-global.accesspoint endpoint.
        'vpc-app mrap': 'left-path nat-gateway',
        'onprem-dc1 mrap': 'left-path public',
      }),
    );
    expect(r.alerts.some((a) => a.subject.includes('MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW'))).toBe(true);
  });

  it('keeps MRAP probes private from both vantages with a com.amazonaws.s3-global.accesspoint endpoint, as inspect-url expects', async () => {
    const s = await scenario('mrap-privatelink');
    const r = await runLab(s, { outDir: outDir() });
    const m = matrix(r);
    expect([m['vpc-app mrap'], m['onprem-dc1 mrap']]).toEqual([
      'private interface-endpoint',
      'private interface-endpoint',
    ]);
    // Nothing else changed: the same verdicts as the default scenario for the other styles.
    expect(m['vpc-app accelerate']).toBe('left-path nat-gateway');
    expect(m['onprem-dc1 regional']).toBe('left-path public');
    const mrap = r.analysis.results.filter((x) => x.probe.style === 'mrap');
    expect(mrap).toHaveLength(2);
    for (const x of mrap) {
      const truth = simulateRequest(s, x.probe.vantage.id, x.probe.urlHost).trace;
      expect(truth).toMatchObject({ private: true, endpoint: { vpcEndpointId: 'vpce-0e7e7e7e7e7e7e7e7' } });
      // What inspect-url expected when the probe was planned is what the lab's logs decided.
      expect([x.probe.vantage.id, x.probe.expectedPath]).toEqual([x.probe.vantage.id, x.verdict.path]);
    }
  });

  it('agrees with inspect-url on the MRAP paths without the endpoint: NAT gateway and public', async () => {
    const r = await runLab(await scenario('default'), { outDir: outDir() });
    const mrap = r.analysis.results.filter((x) => x.probe.style === 'mrap');
    expect(mrap.map((x) => [x.probe.vantage.id, x.probe.expectedPath, x.verdict.path]).sort()).toEqual([
      ['onprem-dc1', 'public', 'public'],
      ['vpc-app', 'nat-gateway', 'nat-gateway'],
    ]);
  });

  // Issue 10: GWLB, TGW and customer prefix-list routes run, and no probe whose simulated path
  // left the endpoints is judged private.
  const leftViaNat = {
    'vpc-app regional': 'left-path nat-gateway',
    'vpc-app global': 'left-path nat-gateway',
    'vpc-app interface-endpoint': 'private interface-endpoint',
    'vpc-app accelerate': 'left-path nat-gateway',
    'onprem-dc1 regional': 'left-path public',
    'onprem-dc1 global': 'left-path public',
    'onprem-dc1 interface-endpoint': 'private interface-endpoint',
    'onprem-dc1 accelerate': 'left-path public',
    'vpc-app mrap': 'left-path nat-gateway',
    'onprem-dc1 mrap': 'left-path public',
  };
  const cases: [string, Record<string, string>][] = [
    ['gwlb-egress', leftViaNat],
    ['tgw-central-egress', leftViaNat],
    ['customer-prefix-list', { ...leftViaNat, 'vpc-app global': 'private gateway-endpoint' }],
  ];
  for (const [name, expected] of cases) {
    it(`judges the ${name} scenario from what the packets really did`, async () => {
      const s = await scenario(name);
      const r = await runLab(s, { outDir: outDir() });
      expect(matrix(r)).toEqual(withUploads(expected));
      for (const x of r.analysis.results) {
        // The ground truth of the same request, from the pure simulator the network runs on.
        const truth = simulateRequest(s, x.probe.vantage.id, x.probe.urlHost).trace;
        if (x.verdict.verdict === 'private')
          expect([x.probe.style, truth?.private]).toEqual([x.probe.style, true]);
      }
      const flows = readFileSync(r.files.flowLog, 'utf8');
      // A gateway-endpoint traffic-path is written only where the gateway endpoint carried a probe.
      // (traffic-path is the format's last field, after flow-direction.)
      expect(flows.split('\n').some((l) => l.endsWith(' egress 7'))).toBe(name === 'customer-prefix-list');
    });
  }

  it('refuses a scenario it cannot simulate, naming the route, before any probe runs', async () => {
    const s = await scenario('default');
    const doc = structuredClone(s) as unknown as {
      vpcs: { routeTables: { routes: { destination: string; target: string }[] }[] }[];
    };
    doc.vpcs[0]!.routeTables[0]!.routes = [
      { destination: '10.0.0.0/16', target: 'local' },
      { destination: '0.0.0.0/0', target: 'vgw-0e5e5e5e5e5e5e5e5' },
    ];
    await expect(runLab(parseLabScenario(doc), { outDir: outDir() })).rejects.toMatchObject({
      code: 'SCENARIO_UNSUPPORTED',
      message: expect.stringContaining('rtb-0c3c3c3c3c3c3c3c3 routes 0.0.0.0/0 to vgw-0e5e5e5e5e5e5e5e5'),
    });
  });

  it('writes only into an empty folder or one it made, and removes only its own files', async () => {
    const dir = outDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(runLab(await scenario('default'), { outDir: dir })).rejects.toMatchObject({
      code: 'OUT_NOT_EMPTY',
    });
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const own = outDir();
    await runLab(await scenario('default'), { outDir: own });
    writeFileSync(join(own, 'notes.txt'), 'mine');
    await runLab(await scenario('default'), { outDir: own });
    expect(readFileSync(join(own, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(join(own, 'evidence'))).toHaveLength(14);
  });

  it('leaves what pathguard analyze needs, and analyze on the folder reaches the same verdicts', async () => {
    const r = await runLab(await scenario('nat-override'), { outDir: outDir() });
    const args = analyzeCommandFor(r);
    expect(labReport(r)).toContain(`Rerun offline: pathguard ${args.join(' ')}`);
    const values: Record<string, string | boolean> = { json: true };
    for (let i = 1; i < args.length; i += 2) values[args[i]!.slice(2)] = args[i + 1]!;
    const { code, stdout } = await runCommand(analyzeCommand, values);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      verdicts: { vantage: string; style: string; method: string; verdict: string; path: string }[];
    };
    expect(Object.fromEntries(doc.verdicts.map((v) => [cell(v), `${v.verdict} ${v.path}`]))).toEqual(
      matrix(r),
    );
    // The files carry no secret either: the probes and observations hold redacted URLs only.
    for (const f of [r.files.probes, r.files.observations, r.files.config, r.files.env])
      expect(holdsSecret(readFileSync(f, 'utf8'))).toBe(false);
    expect(readFileSync(r.files.probes, 'utf8').trim().split('\n')).toHaveLength(14);
  });

  it('exits 3 with --fail-on when a verdict reaches it, and refuses an unknown value before running', async () => {
    expect((await runCommand(labCommand, { out: outDir(), 'fail-on': 'left-path' })).code).toBe(3);
    expect((await runCommand(labCommand, { out: outDir(), 'fail-on': 'no-evidence' })).code).toBe(3);
    await expect(runCommand(labCommand, { out: outDir(), 'fail-on': 'private' })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('runs twice in a row and leaves no listener behind', async () => {
    const first = await runLab(await scenario('default'), { outDir: outDir() });
    const second = await runLab(await scenario('default'), { outDir: outDir() });
    expect(matrix(second)).toEqual(matrix(first));
    // Handles of servers and sockets still open would keep the event loop alive: none are left.
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })
      ._getActiveHandles()
      .filter((h) => h instanceof net.Server && h.listening);
    expect(handles).toEqual([]);
  });
});

describe('the lab delivering its flow log as Parquet', () => {
  /** Per probe, the flow evidence's decisions: path and rule, as the analyzer judged them. */
  const flowDecisions = (r: Awaited<ReturnType<typeof runLab>>) =>
    Object.fromEntries(
      r.analysis.results.map((x) => [
        `${x.probe.vantage.id} ${x.probe.style}`,
        x.verdict.evidence
          .filter((e) => e.source === 'flow')
          .map((e) => `${e.decision.path} ${e.decision.rule}`)
          .sort(),
      ]),
    );

  it('writes one Parquet file as AWS does and reaches the verdicts and flow evidence of the text delivery', async () => {
    for (const name of ['default', 'nat-override']) {
      const s = await scenario(name);
      const text = await runLab(s, { outDir: outDir() });
      const pq = await runLab({ ...s, flowLogFileFormat: 'parquet' }, { outDir: outDir() });
      expect(pq.files.flowLog).toMatch(/vpc-flow-logs\.log\.parquet$/);
      expect(readFileSync(pq.files.flowLog).subarray(0, 4).toString('latin1')).toBe('PAR1');
      expect(matrix(pq)).toEqual(matrix(text));
      expect(flowDecisions(pq)).toEqual(flowDecisions(text));
      expect(Object.values(flowDecisions(pq)).flat().length).toBeGreaterThan(0);
    }
  });

  it('gives analyze the same verdicts and evidence from a Parquet copy of the same traffic as from its text', async () => {
    const r = await runLab(await scenario('default'), { outDir: outDir() });
    const rejects = new RejectCounter();
    const records: FlowRecord[] = [];
    for await (const b of readFlowRecords(r.files.flowLog, { rejects })) records.push(...b);
    expect(rejects.count).toBe(0);
    const parquet = join(r.outDir, 'same-traffic.log.parquet');
    writeFileSync(parquet, writeFlowParquet(records, LAB_FLOW_LOG_FORMAT));
    const analyze = async (flow: string) => {
      const args = analyzeCommandFor(r);
      const values: Record<string, string | boolean> = { json: true };
      for (let i = 1; i < args.length; i += 2) values[args[i]!.slice(2)] = args[i + 1]!;
      values.flow = flow;
      const { code, stdout } = await runCommand(analyzeCommand, values);
      expect(code).toBe(0);
      return JSON.parse(stdout) as { verdicts: unknown[] };
    };
    const fromText = await analyze(r.files.flowLog);
    const fromParquet = await analyze(parquet);
    expect(fromParquet).toEqual(fromText);
    expect(fromText.verdicts).toHaveLength(14);
  });

  it('takes --flow-file-format on the command line and refuses an unknown value before running', async () => {
    const out = outDir();
    const doc = JSON.parse(await command({ json: true, out, 'flow-file-format': 'parquet' })) as {
      verdicts: { vantage: string; style: string; verdict: string }[];
    };
    expect(doc.verdicts).toHaveLength(14);
    expect(readdirSync(out)).toContain('vpc-flow-logs.log.parquet');
    await expect(runCommand(labCommand, { 'flow-file-format': 'csv', out: outDir() })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
