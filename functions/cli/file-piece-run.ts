// One piece of a several-thread run (issue 16), in a worker thread or the CLI's own: a whole file
// through the usual readers, or a byte range of a plain file through the range reader.
import { AccessLogRecordCounter } from '../../shared/access-logs/counter.js';
import { FlowPathMemo } from '../../shared/classify/flow-memo.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter, type RejectTally } from '../../shared/text/rejects.js';
import { type FlowPathCounts, flowPathCounter } from '../lib/flow-paths.js';
import { countAccessLogRecords } from '../lib/read-access-logs.js';
import { countFlowRecords, pipeFlowRecords } from '../lib/read-flow.js';
import { type FlowByteRange, parseFlowRange } from '../lib/read-flow-range.js';
import { readFileRange } from '../lib/read-range.js';

/** What a thread is asked to do with one piece of an input. */
export interface PieceTask {
  readonly kind: 'flow-count' | 'flow-classify' | 'access-count';
  readonly file: string;
  /** The user's --format, as given. */
  readonly format?: string;
  /** Names the environment of a `flow-classify` task; a thread builds its index once per key. */
  readonly envKey?: string;
  readonly range?: FlowByteRange;
  /** The format assumed in force where the range starts (see FilePiece.startSpec). */
  readonly startSpec?: string;
}

/** What a piece counted. `paths` and `unclassified` are for `flow-classify` only. */
export interface PieceResult {
  readonly records: number;
  readonly paths: Readonly<Record<string, number>>;
  readonly unclassified: number;
  readonly rejects: RejectTally;
  /** Lines of the range (0 for a whole file): added to the line numbers of the ranges after it. */
  readonly lines: number;
  /** The spec of the format in force at the range's end; null for a whole file. */
  readonly endSpec: string | null;
}

/** Formats by spec: one object per spec and thread, so the compiled fast path is reused. */
const formats = new Map<string, FlowFormat>();

function formatOf(spec: string | undefined): FlowFormat | undefined {
  if (spec === undefined) return undefined;
  let f = formats.get(spec);
  if (f === undefined) {
    const r = parseFlowFormat(spec);
    // The CLI checked the user's --format before any piece was planned; a start spec is a format's own.
    if (!r.ok) throw new Error(`bad format in a piece task: ${r.error.message}`);
    f = r.value;
    formats.set(spec, f);
  }
  return f;
}

/** The environment index, built once per thread from the environment the CLI validated. */
let index: { key: string; idx: EnvironmentIndex } | null = null;

function environmentIndex(key: string, env: Environment | undefined): EnvironmentIndex {
  if (index?.key !== key) {
    if (env === undefined) throw new Error('a classify task came before its environment');
    index = { key, idx: buildEnvironmentIndex(env) };
  }
  return index.idx;
}

/** The path cache of the environment, one per thread, kept from piece to piece. */
let memo: { idx: EnvironmentIndex; memo: FlowPathMemo } | null = null;

function pathMemo(key: string, env: Environment | undefined): FlowPathMemo {
  const idx = environmentIndex(key, env);
  if (memo?.idx !== idx) memo = { idx, memo: new FlowPathMemo(idx) };
  return memo.memo;
}

/**
 * Runs one piece. `env` is the environment of a `flow-classify` task, needed the first time a
 * thread sees its key (it is sent once per thread, not with every piece).
 */
export async function runPiece(task: PieceTask, env?: Environment): Promise<PieceResult> {
  if (task.kind === 'access-count') return runAccessCount(task);
  const rejects = new RejectCounter();
  const format = formatOf(task.format);
  const counts: FlowPathCounts = { paths: {}, unclassified: 0 };
  // Classifying: each kind of record is classified once (FlowPathMemo), most lines are counted
  // from their bytes without a record.
  const counter =
    task.kind === 'flow-classify' ? flowPathCounter(pathMemo(task.envKey ?? '', env), counts) : undefined;
  const common = { rejects, ...(format ? { format } : {}) };
  const done = (records: number, lines: number, endSpec: string | null): PieceResult => {
    counter?.settle();
    return {
      records,
      paths: counts.paths,
      unclassified: counts.unclassified,
      rejects,
      lines,
      endSpec,
    };
  };
  if (task.range !== undefined) {
    const startFormat = formatOf(task.startSpec);
    const r = await parseFlowRange(task.file, task.range, {
      ...common,
      ...(startFormat ? { startFormat } : {}),
      ...(counter
        ? {
            onLine: counter.line,
            lineFields: counter.lineFields,
            onBatch: (batch: FlowRecord[]) => batch.forEach(counter.record),
          }
        : { countOnly: true }),
    });
    return done(r.records, r.lines, r.format.spec);
  }
  if (counter === undefined) return done(await countFlowRecords(task.file, common), 0, null);
  const records = await pipeFlowRecords(task.file, common, {
    ...counter,
    region: () => undefined,
    flush: () => undefined,
  });
  return done(records, 0, null);
}

/**
 * An `access-count` piece: a whole file through the usual reader (gzip, CloudWatch Logs JSON), or
 * a range of a plain one through the same counter, line numbers counted from the range's start.
 */
async function runAccessCount(task: PieceTask): Promise<PieceResult> {
  const rejects = new RejectCounter();
  const done = (records: number, lines: number): PieceResult => ({
    records,
    paths: {},
    unclassified: 0,
    rejects,
    lines,
    endSpec: null,
  });
  if (task.range === undefined) return done(await countAccessLogRecords(task.file, { rejects }), 0);
  const file = task.file;
  const counter = new AccessLogRecordCounter({
    onReject: (lineNo, error) => rejects.add(file, lineNo, error),
  });
  await readFileRange(file, task.range, (chunk) => counter.push(chunk));
  counter.end();
  return done(counter.records, counter.lines);
}
