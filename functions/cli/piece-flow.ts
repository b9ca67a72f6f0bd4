// `flow-count` and `flow-classify` pieces of a several-thread run: see file-piece-run.ts.
import type { Environment } from '../../shared/env/types.js';
import { type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import type { FlowPathCounts } from '../lib/flow-paths.js';
import { parseFlowRange } from '../lib/read-flow-range.js';
import type { PieceResult, PieceTask } from './file-piece-run.js';

/** Formats by spec: one object per spec and thread, so the compiled fast path is reused. */
const formats = new Map<string, FlowFormat>();

export function formatOf(spec: string | undefined): FlowFormat | undefined {
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

/**
 * A flow-log piece: counted, or (`flow-classify`) counted per path. `env` as for runPiece. The
 * classifier and the whole-file readers load with the first piece that needs them.
 */
export async function runFlowPiece(task: PieceTask, env?: Environment): Promise<PieceResult> {
  const rejects = new RejectCounter();
  const format = formatOf(task.format);
  const counts: FlowPathCounts = { paths: {}, unclassified: 0 };
  const counter =
    task.kind === 'flow-classify'
      ? (await import('./piece-classify.js')).classifyCounter(task.envKey ?? '', env, counts)
      : undefined;
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
  const { countFlowRecords, pipeFlowRecords } = await import('../lib/read-flow.js');
  if (counter === undefined) return done(await countFlowRecords(task.file, common), 0, null);
  const records = await pipeFlowRecords(task.file, common, {
    ...counter,
    region: () => undefined,
    flush: () => undefined,
  });
  return done(records, 0, null);
}
