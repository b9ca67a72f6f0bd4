import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { AnalyzerRunResult } from '../../shared/analyzer/run.js';
import { type PathGuardConfig, validateConfig } from '../../shared/config/index.js';
import { redactText } from '../../shared/endpoints/redact.js';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import { formatFlowHeader, formatFlowRecord } from '../../shared/flow-logs/index.js';
import type { AccessLogSource, AlertSink, FlowLogSource, RenderedAlert } from '../../shared/ports/index.js';
import { allowedS3Hosts, orderScope } from '../../shared/probes/orders.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { createAwsClient } from '../aws/clients.js';
import { SdkPresigner } from '../aws/presigner.js';
import { S3ProbeObjects } from '../aws/probe-objects-s3.js';
import { S3ObjectStore } from '../aws/store-s3.js';
import { runAnalysis } from '../lib/analyze-run.js';
import { runProbes } from '../lib/probe-run.js';
import { readAccessLogRecords } from '../lib/read-access-logs.js';
import { readFlowRecords } from '../lib/read-flow.js';
import {
  ANALYSIS_FILE,
  type AnalysisSummary,
  analysisReportHtml,
  FolderReader,
} from '../lib/report-input.js';
import { runOnce } from '../runner/onprem.js';
import { writeOrders } from '../runner/orders.js';
import { writeFlowParquet } from './flow-parquet-writer.js';
import {
  LAB_FLOW_LOG_FORMAT,
  type LabNetwork,
  type LabScenario,
  scenarioEnvironment,
  startLabNetwork,
} from './network/index.js';
import { LAB_S3_CREDENTIAL, type LabS3, startLabS3 } from './s3/index.js';

/** The probe bucket every lab scenario monitors. */
export const LAB_BUCKET = 'example-data-bucket';
const RESULTS_BUCKET = 'lab-pathguard-results';
const LOG_BUCKET = 'lab-access-logs';
/** The file that marks a folder as the lab's own: only such a folder is ever emptied. */
export const LAB_MARKER = '.pathguard-lab';
/** What the lab writes in its folder: the only entries it removes before a new run. */
const LAB_ENTRIES = [
  LAB_MARKER,
  'outbox',
  'evidence',
  'access-logs',
  'vpc-flow-logs.log',
  'vpc-flow-logs.log.parquet',
  'env.json',
  'config.json',
  'probes.ndjson',
  'observations.ndjson',
  'analysis.json',
  'report.html',
];

export interface LabResult {
  scenario: string;
  config: PathGuardConfig;
  outDir: string;
  analysis: AnalyzerRunResult;
  alerts: RenderedAlert[];
  /** The analyzer's clock for this run (ISO 8601): `pathguard analyze --now` reruns it. */
  analyzedAt: string;
  files: {
    flowLog: string;
    accessLog: string;
    outbox: string;
    bundles: string;
    /** What `pathguard analyze` needs besides the logs: the environment, the config, the probes and observations. */
    env: string;
    config: string;
    probes: string;
    observations: string;
    /** The evidence report (one self-contained HTML file) and the run summary it reads beside the bundles. */
    report: string;
    analysis: string;
  };
}

/** The `pathguard analyze` command line that reruns a lab run offline from its folder. */
export function analyzeCommandFor(r: LabResult): string[] {
  return [
    'analyze',
    '--config',
    r.files.config,
    '--env',
    r.files.env,
    '--probes',
    r.files.probes,
    '--observations',
    r.files.observations,
    '--flow',
    r.files.flowLog,
    '--access',
    r.files.accessLog,
    '--now',
    r.analyzedAt,
  ];
}

/** The JSON objects under a prefix of a lab bucket, one per line, redacted (they hold no secret, by design). */
function ndjsonUnder(s3: LabS3, bucket: string, prefix: string): string {
  const lines = s3
    .listKeys(bucket, prefix)
    .map((k) => s3.getObject(bucket, k))
    .filter((b): b is Buffer => b !== undefined)
    .map((b) => redactText(JSON.stringify(JSON.parse(b.toString('utf8')))));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The ARN of the scenario's Multi-Region Access Point, which routes to the probe bucket. */
export function labMrapArn(s: LabScenario): string {
  return `arn:aws:s3::${s.accountId}:accesspoint/${s.mrap.alias}`;
}

/**
 * The lab's monitoring config: the probe bucket in five styles, from every vantage of the
 * scenario, plus an upload with a presigned PUT and a presigned POST form on the regional style
 * (their verdicts equal the regional GET's: an upload takes the same path as a download).
 */
export function labConfig(s: LabScenario): PathGuardConfig {
  const endpoint = s.vpcs.flatMap((v) => v.interfaceEndpoints)[0];
  const r = validateConfig({
    region: s.region,
    resultsBucket: RESULTS_BUCKET,
    targets: [
      {
        bucket: LAB_BUCKET,
        region: s.region,
        styles: endpoint
          ? ['regional', 'global', 'interface-endpoint', 'accelerate', 'mrap']
          : ['regional', 'global', 'accelerate', 'mrap'],
        ...(endpoint ? { interfaceEndpointDns: `bucket.${endpoint.dnsName.replace(/^\*\./, '')}` } : {}),
        mrapArn: labMrapArn(s),
      },
      { bucket: LAB_BUCKET, region: s.region, styles: ['regional'], methods: ['put', 'post'] },
    ],
    vantages: s.vantages.map((v) =>
      v.kind === 'vpc' ? { id: v.id, kind: 'vpc', subnetId: v.subnetId } : { id: v.id, kind: 'onprem' },
    ),
    scheduleMinutes: 1,
    // Logs in the lab are written as the requests happen: short deadlines let verdicts settle.
    evidence: {
      flowLogs: { enabled: true, deadlineMinutes: 1 },
      accessLogs: { enabled: true, deadlineMinutes: 1 },
      cloudTrail: { enabled: false, deadlineMinutes: 1 },
    },
    onPrem: { cidrs: [s.onPrem.cidr], publicEgressIps: [s.onPrem.publicEgressIp], dnsMode: s.onPrem.dnsMode },
    monitoredBuckets: [LAB_BUCKET],
  });
  if (!r.ok) throw r.error;
  return r.value;
}

class OutboxSink implements AlertSink {
  readonly alerts: RenderedAlert[] = [];
  constructor(private readonly dir: string) {}
  async publish(alert: RenderedAlert): Promise<{ messageId: string }> {
    const n = this.alerts.push(alert);
    const id = `lab-${String(n).padStart(4, '0')}`;
    // Exactly what SNS would receive: subject, per-protocol messages, attributes.
    await writeFile(
      join(this.dir, `${id}.json`),
      `${JSON.stringify({ Subject: alert.subject, MessageStructure: 'json', Message: { default: alert.text, email: alert.text, https: JSON.stringify(alert.chatbot) }, MessageAttributes: alert.attributes }, null, 2)}\n`,
    );
    return { messageId: id };
  }
}

/**
 * Prepares the output folder: a missing or empty folder is taken and marked; a folder holding the
 * lab's marker has the lab's own entries (and only those) removed; anything else is refused, so a
 * mistyped `--out` never deletes a user's files.
 */
export async function prepareOutDir(outDir: string): Promise<void> {
  let entries: string[] = [];
  try {
    if (!(await stat(outDir)).isDirectory())
      throw new UserInputError('OUT_NOT_A_DIRECTORY', `${outDir}: exists and is not a folder`);
    entries = await readdir(outDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (entries.length > 0 && !entries.includes(LAB_MARKER)) {
    throw new UserInputError(
      'OUT_NOT_EMPTY',
      `${outDir}: not empty and not a lab folder (no ${LAB_MARKER}); choose an empty or new folder`,
    );
  }
  for (const name of LAB_ENTRIES) await rm(join(outDir, name), { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await writeFile(
    join(outDir, LAB_MARKER),
    'A folder written by `pathguard lab`; it removes only its own files.\n',
  );
}

/** The on-prem runner's control traffic (order and reports): straight to the lab S3 endpoint. */
function controlRequest(s3: LabS3) {
  return (
    url: string,
    init: { method: 'GET' | 'PUT'; body?: string; timeoutMs: number; headers?: Record<string, string> },
  ) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(url);
      const req = http.request(
        {
          host: s3.address,
          port: s3.port,
          method: init.method,
          path: `${u.pathname}${u.search}`,
          headers: { ...init.headers, host: u.host },
          timeout: init.timeoutMs,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
}

/**
 * Runs one whole monitoring cycle on loopback: the lab S3 endpoint and the scenario's network
 * start; each VPC runner (the probe function's code) plans, presigns with the AWS SDK and fetches
 * through its vantage's DNS and routes; each on-prem runner takes its order over HTTP and reports
 * through the presigned PUTs; the analyzer reads the flow log and access log the lab wrote, through
 * the real parsers, and decides. Listeners and temporary files are cleaned up whatever happens.
 */
export async function runLab(
  scenario: LabScenario,
  opts: { outDir?: string; flowLogFileFormat?: LabScenario['flowLogFileFormat'] } = {},
): Promise<LabResult> {
  const outDir = opts.outDir ?? join(tmpdir(), 'pathguard-lab', scenario.name);
  await prepareOutDir(outDir);
  const outbox = join(outDir, 'outbox');
  const bundlesDir = join(outDir, 'evidence');
  await mkdir(outbox, { recursive: true });
  await mkdir(bundlesDir, { recursive: true });
  const cfg = labConfig(scenario);
  const env = scenarioEnvironment(scenario);
  // Connections that bypass the forwarders are control traffic to the results bucket (the runners'
  // orders and reports, the functions' store calls), which has no access logging.
  const s3 = await startLabS3({
    region: scenario.region,
    buckets: [
      { name: LAB_BUCKET, logging: { targetBucket: LOG_BUCKET, targetPrefix: `${LAB_BUCKET}/` } },
      { name: RESULTS_BUCKET },
      { name: LOG_BUCKET },
    ],
    remoteIpFor: () => scenario.onPrem.publicEgressIp,
    multiRegionAccessPoints: [{ alias: scenario.mrap.alias, bucket: LAB_BUCKET }],
  });
  let net: LabNetwork | null = null;
  try {
    net = await startLabNetwork(scenario, s3);
    const network = net;
    // The results bucket is the lab's S3 endpoint, reached through the same S3 adapter the Lambdas use.
    const client = createAwsClient(S3Client, {
      region: cfg.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: LAB_S3_CREDENTIAL,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const store = new S3ObjectStore(client, cfg.resultsBucket);
    const presigner = new SdkPresigner({ credentials: LAB_S3_CREDENTIAL });
    const now = new Date();
    const runId = `lab-${now.toISOString().replace(/[-:.]/g, '')}`;
    for (const v of cfg.vantages.filter((x) => x.kind === 'vpc')) {
      const vantage = network.vantage(v.id);
      const probeRun = await runProbes(runId, {
        cfg,
        store,
        presigner,
        env,
        vantageId: v.id,
        now,
        putObject: async (p) => {
          s3.putObject(p.bucket, p.key, p.body);
        },
        fetchOptions: { lookup: vantage.lookup, dial: vantage.dial, timeoutMs: 5000 },
        writeOrders: async (items, id, at) => {
          const orders = await writeOrders(store, presigner, cfg, items, id, at);
          // The order object, in the results bucket where the runner reads it.
          for (const o of orders)
            s3.putObject(cfg.resultsBucket, `orders/${o.runnerId}/latest.json`, JSON.stringify(o));
        },
      });
      if (probeRun.failures.length > 0)
        throw new Error(
          `probe run failed: ${probeRun.failures.map((f) => `${f.stage} ${f.code}`).join(', ')}`,
        );
    }

    await runOnPremRunners(cfg, presigner, network, s3);

    // Every path connection has closed and logged before the logs are delivered.
    await Promise.race([network.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    const { flowLog, accessLog } = await deliverLogs(
      outDir,
      network,
      s3,
      (opts.flowLogFileFormat ?? scenario.flowLogFileFormat) === 'parquet',
    );

    const rejects = new RejectCounter();
    const flows: FlowLogSource = {
      name: flowLog,
      async *findFlows() {
        yield* readFlowRecords(flowLog, { rejects });
      },
    };
    const access: AccessLogSource = {
      name: accessLog,
      async *readSince(checkpoint) {
        if (checkpoint === accessLog) return;
        const records = [];
        for await (const b of readAccessLogRecords(accessLog, { rejects })) records.push(...b);
        yield { records, checkpoint: accessLog, origin: accessLog };
      },
    };
    const files = await writeRerunFiles(outDir, env, cfg, s3);
    // Past every (short) lab deadline, so each verdict is final.
    const analyzedAt = new Date(now.getTime() + 3 * 60_000);
    const sink = new OutboxSink(outbox);
    const analysis = await runAnalysis({
      cfg,
      store,
      sink,
      discover: async () => ({ environment: env }),
      flows,
      access,
      // The same adapter as the analyze function: DeleteObject to the lab's endpoint.
      probeObjects: new S3ProbeObjects(client),
      now: analyzedAt,
    });
    for (const key of analysis.bundlesWritten) {
      const b = await store.getJson(key);
      if (b)
        await writeFile(
          join(bundlesDir, key.split('/').pop()!),
          `${redactText(JSON.stringify(b.value, null, 2))}\n`,
        );
    }
    client.destroy();
    // The run's drift and real-traffic audit beside the bundles, then the report of the folder.
    const analysisFile = join(outDir, ANALYSIS_FILE);
    const summary: AnalysisSummary = {
      schemaVersion: 1,
      runId: analysis.runId,
      now: analysis.now,
      drift: [...analysis.drift],
      realTraffic: analysis.realTraffic,
    };
    await writeFile(analysisFile, `${redactText(JSON.stringify(summary, null, 2))}\n`);
    const report = join(outDir, 'report.html');
    await writeFile(report, await analysisReportHtml(new FolderReader(outDir), { generatedAt: analyzedAt }));
    return {
      scenario: scenario.name,
      config: cfg,
      outDir,
      analysis,
      alerts: sink.alerts,
      analyzedAt: analyzedAt.toISOString(),
      files: { flowLog, accessLog, outbox, bundles: bundlesDir, ...files, report, analysis: analysisFile },
    };
  } finally {
    await net?.close();
    await s3.close();
  }
}

/** What `pathguard analyze` needs to rerun this cycle offline from the folder. */
async function writeRerunFiles(outDir: string, env: Environment, cfg: PathGuardConfig, s3: LabS3) {
  const files = {
    env: join(outDir, 'env.json'),
    config: join(outDir, 'config.json'),
    probes: join(outDir, 'probes.ndjson'),
    observations: join(outDir, 'observations.ndjson'),
  };
  await writeFile(files.env, `${JSON.stringify(env, null, 2)}\n`);
  await writeFile(files.config, `${JSON.stringify(cfg, null, 2)}\n`);
  await writeFile(files.probes, ndjsonUnder(s3, RESULTS_BUCKET, 'probes/'));
  await writeFile(files.observations, ndjsonUnder(s3, RESULTS_BUCKET, 'observations/'));
  return files;
}

/**
 * Each on-prem runner reads its order and reports through presigned URLs, over HTTP to the lab S3
 * endpoint (its control traffic is not a probe path, so it goes there directly).
 */
async function runOnPremRunners(
  cfg: PathGuardConfig,
  presigner: SdkPresigner,
  network: LabNetwork,
  s3: LabS3,
): Promise<void> {
  for (const v of cfg.vantages.filter((x) => x.kind === 'onprem')) {
    const orderUrl = await presigner.presignGet({
      bucket: cfg.resultsBucket,
      key: `orders/${v.id}/latest.json`,
      region: cfg.region,
      style: 'regional',
      expiresInSeconds: 300,
    });
    const vantage = network.vantage(v.id);
    const runner = await runOnce(
      {
        runnerId: v.id,
        orderUrl,
        allowedHosts: allowedS3Hosts(cfg),
        probeBuckets: [...orderScope(cfg).probeBuckets],
        resultsBucket: cfg.resultsBucket,
        concurrency: 2,
        timeoutMs: 5000,
        allowHttp: false,
      },
      { fetchOptions: { lookup: vantage.lookup, dial: vantage.dial }, request: controlRequest(s3) },
    );
    if (!runner.ok) throw new Error(`the on-prem runner ${v.id} could not report every observation`);
  }
}

/**
 * The logs as AWS delivers them: the flow log to S3 (aws-facts §1.6) as one text file, a header
 * line then the records, or one Parquet file; the probe bucket's server access logs as one object
 * in the simple-prefix format.
 */
async function deliverLogs(
  outDir: string,
  network: LabNetwork,
  s3: LabS3,
  parquet: boolean,
): Promise<{ flowLog: string; accessLog: string }> {
  const flowLog = join(outDir, parquet ? 'vpc-flow-logs.log.parquet' : 'vpc-flow-logs.log');
  await writeFile(
    flowLog,
    parquet
      ? writeFlowParquet(
          network.flowRecords().map((r) => r.record),
          LAB_FLOW_LOG_FORMAT,
        )
      : `${[formatFlowHeader(LAB_FLOW_LOG_FORMAT), ...network.flowRecords().map((r) => formatFlowRecord(r.record, LAB_FLOW_LOG_FORMAT))].join('\n')}\n`,
  );
  await mkdir(join(outDir, 'access-logs'), { recursive: true });
  const delivered = s3.flushAccessLogs();
  const logKey = delivered[0]?.slice(LOG_BUCKET.length + 1) ?? `${LAB_BUCKET}/none`;
  const accessLog = join(outDir, 'access-logs', logKey.split('/').pop()!);
  await writeFile(accessLog, s3.getObject(LOG_BUCKET, logKey) ?? '');
  return { flowLog, accessLog };
}
