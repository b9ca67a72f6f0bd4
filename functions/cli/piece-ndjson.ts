// `flow-ndjson` pieces of a several-thread `parse flow` (functions/cli/ndjson-jobs.ts): see file-piece-run.ts.
import { FlowNdjsonWriter } from '../../shared/flow-logs/ndjson.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { parseFlowRange } from '../lib/read-flow-range.js';
import type { PieceResult, PieceTask } from './file-piece-run.js';
import { formatOf } from './piece-flow.js';

/**
 * The NDJSON of a byte range, handed to `emit` in output chunks as each read is parsed; a promise
 * `emit` returns holds the reading back until the consumer has caught up. `spare`: chunks given
 * back once written, reused for the output (see FlowNdjsonWriter).
 */
export async function runNdjsonPiece(
  task: PieceTask,
  emit: (chunks: Buffer[]) => Promise<void> | undefined,
  spare: Buffer[] | null = null,
): Promise<PieceResult> {
  const range = task.range;
  if (range === undefined) throw new Error('an NDJSON piece is a byte range');
  const rejects = new RejectCounter();
  const format = formatOf(task.format);
  const startFormat = formatOf(task.startSpec);
  const w = new FlowNdjsonWriter(undefined, spare);
  const r = await parseFlowRange(task.file, range, {
    rejects,
    ...(format ? { format } : {}),
    ...(startFormat ? { startFormat } : {}),
    onLineRender: (b, start, f, max) => w.render(b, start, f, max),
    onLine: (b, start, end, f) => w.line(b, start, end, f),
    onRegion: (b, from, to) => w.region(b, from, to),
    onRecord: (rec) => w.record(rec),
    onRead: () => emit(w.take()),
  });
  await emit(w.finish());
  return { records: r.records, paths: {}, unclassified: 0, rejects, lines: r.lines, endSpec: r.format.spec };
}
