// `access-count` pieces (`parse s3-access --count`) of a several-thread run: see file-piece-run.ts.
import { AccessLogRecordCounter } from '../../shared/access-logs/counter.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { readFileRange } from '../lib/read-range.js';
import type { PieceResult, PieceTask } from './file-piece-run.js';

/**
 * An `access-count` piece: a whole file through the usual reader (gzip, CloudWatch Logs JSON), or
 * a range of a plain one through the same counter, line numbers counted from the range's start.
 */
export async function runAccessPiece(task: PieceTask): Promise<PieceResult> {
  const rejects = new RejectCounter();
  const done = (records: number, lines: number): PieceResult => ({
    records,
    paths: {},
    unclassified: 0,
    rejects,
    lines,
    endSpec: null,
  });
  if (task.range === undefined) {
    const { countAccessLogRecords } = await import('../lib/read-access-logs.js');
    return done(await countAccessLogRecords(task.file, { rejects }), 0);
  }
  const file = task.file;
  const counter = new AccessLogRecordCounter({
    onReject: (lineNo, error) => rejects.add(file, lineNo, error),
  });
  await readFileRange(file, task.range, (chunk) => counter.push(chunk));
  counter.end();
  return done(counter.records, counter.lines);
}
