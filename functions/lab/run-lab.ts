import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { AnalyzerRunResult } from '../../shared/analyzer/run.js';
import { type PathGuardConfig, validateConfig } from '../../shared/config/index.js';
import { redactText } from '../../shared/endpoints/redact.js';
import type { AccessLogSource, AlertSink, FlowLogSource, RenderedAlert } from '../../shared/ports/index.js';
import { allowedS3Hosts, orderScope } from '../../shared/probes/orders.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { SdkPresigner } from '../aws/presigner.js';
import { S3ObjectStore } from '../aws/store-s3.js';
import { runAnalysis } from '../lib/analyze-run.js';
import { runProbes } from '../lib/probe-run.js';
import { readAccessLogRecords } from '../lib/read-access-logs.js';
import { readFlowRecords } from '../lib/read-flow.js';
import { runOnce } from '../runner/onprem.js';
import { writeOrders } from '../runner/orders.js';
import { LabNetwork } from './network.js';
import { LabS3 } from './s3-server.js';
import type { Scenario } from './scenario.js';
import { scenarioEnvironment } from './scenario-env.js';
import { LAB_CREDENTIALS } from './sigv4.js';

export interface LabResult {
  scenario: string;
  config: PathGuardConfig;
  outDir: string;
  analysis: AnalyzerRunResult;
  alerts: RenderedAlert[];
  files: { flowLog: string; accessLog: string; outbox: string; bundles: string };
}

/** The lab's monitoring config: one target, four styles, a VPC and an on-prem vantage. */
export function labConfig(s: Scenario): PathGuardConfig {
  const r = validateConfig({
    region: s.region,
    resultsBucket: 'lab-pathguard-results',
    targets: [
      {
        bucket: 'example-data-bucket',
        region: s.region,
        styles: ['regional', 'global', 'interface-endpoint', 'accelerate'],
        interfaceEndpointDns: `bucket.${s.vpc.interfaceEndpoint.dnsName.replace(/^\*\./, '')}`,
      },
    ],
    vantages: [
      { id: 'vpc-app', kind: 'vpc', subnetId: s.vpc.runnerSubnet.subnetId },
      { id: 'onprem-dc1', kind: 'onprem' },
    ],
    scheduleMinutes: 1,
    // Logs in the lab are written as the requests happen: short deadlines let verdicts settle.
    evidence: {
      flowLogs: { enabled: true, deadlineMinutes: 1 },
      accessLogs: { enabled: true, deadlineMinutes: 1 },
      cloudTrail: { enabled: false, deadlineMinutes: 1 },
    },
    onPrem: { cidrs: [s.onPrem.cidr], publicEgressIps: [s.onPrem.publicEgressIp], dnsMode: s.onPrem.dnsMode },
    monitoredBuckets: ['example-data-bucket'],
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
 * Runs one whole monitoring cycle on loopback: the S3 endpoint and the network paths start; the
 * VPC runner (the probe function's code) plans, presigns with the AWS SDK, fetches through the
 * vantage's DNS and routes; the on-prem runner takes its order over HTTP and reports through the
 * presigned PUTs; the analyzer reads the flow log and access log the lab wrote, through the real
 * parsers, and decides. Listeners and temporary files are cleaned up whatever happens.
 */
export async function runLab(scenario: Scenario, opts: { outDir?: string } = {}): Promise<LabResult> {
  const outDir = opts.outDir ?? join(tmpdir(), `pathguard-lab-${scenario.name}`);
  await rm(outDir, { recursive: true, force: true });
  const outbox = join(outDir, 'outbox');
  const bundlesDir = join(outDir, 'evidence');
  await mkdir(outbox, { recursive: true });
  await mkdir(bundlesDir, { recursive: true });
  let network: LabNetwork | null = null;
  // Connections that bypass the forwarders are control traffic to the results bucket (the runners'
  // orders and reports, the functions' store calls); it is logged under the results bucket, which
  // the analyzer does not read, with the on-prem egress address as its source.
  const s3 = new LabS3({
    remoteIpFor: (port): string | null => network?.sourceIpFor(port) ?? scenario.onPrem.publicEgressIp,
  });
  await s3.start();
  network = new LabNetwork(scenario, s3.port);
  const net = network;
  try {
    await net.start();
    const cfg = labConfig(scenario);
    const env = scenarioEnvironment(scenario);
    // The results bucket is the lab's S3 endpoint, reached through the same S3 adapter the Lambdas use.
    const store = new S3ObjectStore(
      new S3Client({
        region: cfg.region,
        endpoint: `http://127.0.0.1:${s3.port}`,
        forcePathStyle: true,
        credentials: LAB_CREDENTIALS,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      }),
      cfg.resultsBucket,
    );
    const presigner = new SdkPresigner({ credentials: LAB_CREDENTIALS });
    const now = new Date();
    const runId = `lab-${now.toISOString().replace(/[-:.]/g, '')}`;
    const probeRun = await runProbes(runId, {
      cfg,
      store,
      presigner,
      env,
      vantageId: 'vpc-app',
      now,
      putObject: async (p) => s3.putObject(p.bucket, p.key, p.body),
      fetchOptions: { ...net.vantage('vpc', 'vpc-app'), timeoutMs: 5000 },
      writeOrders: async (items, id, at) => {
        const orders = await writeOrders(store, presigner, cfg, items, id, at);
        // The order object, in the results bucket where the runner reads it.
        for (const o of orders)
          s3.putObject(cfg.resultsBucket, `orders/${o.runnerId}/latest.json`, Buffer.from(JSON.stringify(o)));
      },
    });
    if (probeRun.failures.length > 0)
      throw new Error(`probe run failed: ${probeRun.failures.map((f) => `${f.stage} ${f.code}`).join(', ')}`);

    // The on-prem runner reads its order and reports through presigned URLs, over HTTP to the lab
    // S3 endpoint (its control traffic is not a probe path, so it goes there directly).
    const orderUrl = await presigner.presignGet({
      bucket: cfg.resultsBucket,
      key: 'orders/onprem-dc1/latest.json',
      region: cfg.region,
      style: 'regional',
      expiresInSeconds: 300,
    });
    const control = (url: string, init: { method: 'GET' | 'PUT'; body?: string; timeoutMs: number }) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = http.request(
          {
            host: '127.0.0.1',
            port: s3.port,
            method: init.method,
            path: `${u.pathname}${u.search}`,
            headers: { host: u.host },
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
    const runner = await runOnce(
      {
        runnerId: 'onprem-dc1',
        orderUrl,
        allowedHosts: allowedS3Hosts(cfg),
        probeBuckets: [...orderScope(cfg).probeBuckets],
        resultsBucket: cfg.resultsBucket,
        concurrency: 2,
        timeoutMs: 5000,
        allowHttp: false,
      },
      { fetchOptions: net.vantage('onprem', 'onprem-dc1'), request: control },
    );
    if (!runner.ok) throw new Error('the on-prem runner could not report every observation');

    // The logs, as AWS delivers them, read back through the real parsers.
    const flowLog = join(outDir, 'vpc-flow-logs.log');
    const accessLog = join(
      outDir,
      'access-logs',
      `${now.toISOString().slice(0, 19).replace(/[T:]/g, '-')}-LAB0000000000001`,
    );
    await mkdir(join(outDir, 'access-logs'), { recursive: true });
    // Every path connection has closed and logged before the flow log is delivered.
    await Promise.race([net.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await writeFile(flowLog, net.flowLogText());
    // The probe bucket's server access logs (the results bucket logs elsewhere, as in AWS).
    const probeBuckets = new Set(cfg.targets.map((t) => t.bucket));
    await writeFile(
      accessLog,
      `${s3.accessLog
        .filter((l) => l.bucket && probeBuckets.has(l.bucket))
        .map((l) => l.line)
        .join('\n')}\n`,
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
    const sink = new OutboxSink(outbox);
    const analysis = await runAnalysis({
      cfg,
      store,
      sink,
      discover: async () => ({ environment: env }),
      flows,
      access,
      // Past every (short) lab deadline, so each verdict is final.
      now: new Date(now.getTime() + 3 * 60_000),
    });
    for (const key of analysis.bundlesWritten) {
      const b = await store.getJson(key);
      if (b)
        await writeFile(
          join(bundlesDir, key.split('/').pop()!),
          `${redactText(JSON.stringify(b.value, null, 2))}\n`,
        );
    }
    return {
      scenario: scenario.name,
      config: cfg,
      outDir,
      analysis,
      alerts: sink.alerts,
      files: { flowLog, accessLog, outbox, bundles: bundlesDir },
    };
  } finally {
    await net.close();
    await s3.close();
  }
}
