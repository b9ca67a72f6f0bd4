import type { AthenaClient } from '@aws-sdk/client-athena';
import { accessTableSpec, type FlowDelivery, flowTableSpec } from '../../shared/athena/config-tables.js';
import type { PathGuardConfig } from '../../shared/config/index.js';
import { parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { AccessLogSource, FlowLogSource } from '../../shared/ports/index.js';
import type { AthenaQueryStats } from '../aws/athena-query.js';
import type { FlowLogConfig } from '../aws/discovery.js';
import { InsightsFlowLogSource } from '../aws/flow-logs-insights.js';
import { type FlowSourceChoice, flowLogSourceFor } from './flow-log-source.js';

/** What the engines need beside the direct readers' choice. */
export interface EngineContext {
  readonly cfg: PathGuardConfig;
  /** The Athena client, created on first use (its module loads only for the athena engine). */
  readonly athena: () => Promise<AthenaClient>;
  /** Each finished Athena query's statistics, for the run's metrics. */
  readonly onQuery?: (stats: AthenaQueryStats) => void;
}

/**
 * The flow-log source of the configured engine: `direct` as {@link flowLogSourceFor} chooses,
 * `insights` over the CloudWatch Logs group the direct reader would read (the runners' flow log,
 * else the configured group), `athena` over the table of the S3 delivery (the config's location,
 * else the runners' flow log that delivers to S3). Undefined when nothing is found: the caller
 * reports the source as not located.
 */
export async function flowSourceByEngine(
  c: FlowSourceChoice,
  e: EngineContext,
): Promise<FlowLogSource | undefined> {
  const engine = e.cfg.evidence.flowLogs.engine;
  if (!c.enabled) return undefined;
  if (engine === 'direct') return flowLogSourceFor(c);
  const onRunners = (type: string) =>
    c.flowLogs.find((f) => f.destinationType === type && c.runnerSubnetIds.includes(f.resourceId)) ??
    c.flowLogs.find((f) => f.destinationType === type && c.vpcIds.includes(f.resourceId));
  if (engine === 'insights') {
    const group = onRunners('cloud-watch-logs');
    if (group) {
      const format = group.logFormat ? parseFlowFormat(group.logFormat) : null;
      return new InsightsFlowLogSource(c.clients.cwl, group.destination, {
        ...(format?.ok ? { format: format.value } : {}),
        ...(group.maxAggregationInterval ? { aggregationSeconds: group.maxAggregationInterval } : {}),
        rejects: c.rejects,
      });
    }
    if (!c.where.flowLogGroup) return undefined;
    return new InsightsFlowLogSource(c.clients.cwl, c.where.flowLogGroup, {
      ...(c.groupFormat ? { format: c.groupFormat } : {}),
      rejects: c.rejects,
    });
  }
  const athena = e.cfg.evidence.flowLogs.athena!;
  const delivering = onRunners('s3');
  const spec = flowTableSpec(e.cfg, delivering ? deliveryOf(delivering) : undefined);
  if (!spec) return undefined;
  const { AthenaFlowLogSource } = await import('../aws/athena-flow-logs.js');
  return new AthenaFlowLogSource(await e.athena(), spec, {
    ...queryOptions(athena),
    accounts: athena.location?.accounts ?? [c.account.accountId],
    region: c.account.region,
    rejects: c.rejects,
    ...(e.onQuery ? { onQuery: e.onQuery } : {}),
  });
}

/**
 * The access-log source of the configured engine over the located logs: the S3 reader
 * (`direct`, built by `direct`) or Athena. Undefined when access logs are not located.
 */
export async function accessSourceByEngine(
  location: { bucket: string; prefix: string } | undefined,
  accountId: string,
  e: EngineContext,
  direct: (loc: { bucket: string; prefix: string }) => AccessLogSource,
): Promise<AccessLogSource | undefined> {
  if (!location) return undefined;
  const ev = e.cfg.evidence.accessLogs;
  if (ev.engine !== 'athena') return direct(location);
  const spec = accessTableSpec(e.cfg, location);
  if (!spec || !ev.athena) return undefined;
  const { AthenaAccessLogSource } = await import('../aws/athena-access-logs.js');
  return new AthenaAccessLogSource(await e.athena(), spec, {
    ...queryOptions(ev.athena),
    accountId: ev.athena.sourceAccountId ?? accountId,
    region: e.cfg.region,
    targetBuckets: [...new Set(e.cfg.targets.map((t) => t.bucket))],
    probeKeyPrefix: `${e.cfg.probePrefix}/probes/`,
    monitoredBuckets: e.cfg.monitoredBuckets,
    settleMinutes: ev.deadlineMinutes,
    dateSource: ev.athena.dateSource,
    ...(e.onQuery ? { onQuery: e.onQuery } : {}),
  });
}

function queryOptions(a: {
  workgroup: string;
  outputLocation?: string | undefined;
  maxBytesScanned: number;
}) {
  return {
    workgroup: a.workgroup,
    maxBytesScanned: a.maxBytesScanned,
    ...(a.outputLocation ? { outputLocation: a.outputLocation } : {}),
  };
}

/** The delivery of a flow log discovery found delivering to S3 (`arn:aws:s3:::bucket/prefix/`). */
export function deliveryOf(f: FlowLogConfig): FlowDelivery | undefined {
  const m = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(f.destination);
  if (!m) return undefined;
  const prefix = m[2] ?? '';
  return {
    bucket: m[1]!,
    prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
    layout: f.s3?.hiveCompatiblePartitions ? 'hive' : 'plain',
    hourly: f.s3?.perHourPartition ?? false,
    fileFormat: f.s3?.fileFormat === 'parquet' ? 'parquet' : 'text',
    ...(f.logFormat ? { logFormat: f.logFormat } : {}),
  };
}
