// One piece of a several-thread run (issue 16), in a worker thread or the CLI's own: a whole file
// through the usual readers, or a byte range of a plain file through the range reader.
import { classifyFlowRecord, FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter, type RejectTally } from '../../shared/text/rejects.js';
import { countFlowRecords, readFlowRecords } from '../lib/read-flow.js';
import { type FlowByteRange, parseFlowRange } from '../lib/read-flow-range.js';

/** What a thread is asked to do with one piece of an input. */
export interface PieceTask {
  readonly kind: 'flow-count' | 'flow-classify';
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

/**
 * Runs one piece. `env` is the environment of a `flow-classify` task, needed the first time a
 * thread sees its key (it is sent once per thread, not with every piece).
 */
export async function runPiece(task: PieceTask, env?: Environment): Promise<PieceResult> {
  const rejects = new RejectCounter();
  const format = formatOf(task.format);
  const paths: Record<string, number> = {};
  let unclassified = 0;
  let onBatch: ((batch: FlowRecord[]) => void) | undefined;
  if (task.kind === 'flow-classify') {
    const idx = environmentIndex(task.envKey ?? '', env);
    onBatch = (batch) => {
      for (const r of batch) {
        const d = classifyFlowRecord(r, idx);
        if (d === null) unclassified++;
        else paths[d.path] = (paths[d.path] ?? 0) + 1;
      }
    };
  }
  const fields = onBatch ? { fields: FLOW_CLASSIFICATION_FIELDS } : {};
  const common = { rejects, ...fields, ...(format ? { format } : {}) };
  if (task.range !== undefined) {
    const startFormat = formatOf(task.startSpec);
    const r = await parseFlowRange(task.file, task.range, {
      ...common,
      ...(startFormat ? { startFormat } : {}),
      ...(onBatch ? { onBatch } : { countOnly: true }),
    });
    return { records: r.records, paths, unclassified, rejects, lines: r.lines, endSpec: r.format.spec };
  }
  let records = 0;
  if (onBatch === undefined) records = await countFlowRecords(task.file, common);
  else {
    for await (const batch of readFlowRecords(task.file, common)) {
      records += batch.length;
      onBatch(batch);
    }
  }
  return { records, paths, unclassified, rejects, lines: 0, endSpec: null };
}
