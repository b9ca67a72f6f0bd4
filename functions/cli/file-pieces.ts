import { type FileHandle, open } from 'node:fs/promises';
import { DEFAULT_FLOW_FORMAT, looksLikeFlowHeader, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowByteRange } from '../lib/read-flow-range.js';

/**
 * A piece of work for one thread: a whole input file, or a byte range of a plain-text one.
 * `file` is the index of the input among those given, `weight` an estimate of the work in bytes
 * of text (pieces are handed out heaviest first, so the last to finish are short).
 */
export interface FilePiece {
  readonly file: number;
  readonly path: string;
  readonly weight: number;
  /** Absent: the whole file, through the reader that detects gzip, Parquet and JSON exports. */
  readonly range?: FlowByteRange;
  /**
   * For a range after a file's first: the format assumed in force where it starts (the spec of
   * the file's first line when that is a header, else the default). The range before it reports
   * the format at its end; when they differ (a header line in the middle of the file), the range
   * is read again with the right one, so the output never depends on the guess.
   */
  readonly startSpec?: string;
  /**
   * A Parquet file (it starts with `PAR1`): such pieces all run on one thread (see
   * functions/cli/file-jobs.ts), as each decoder holds a row group's pages and dictionaries.
   */
  readonly parquet?: true;
}

/** Bytes read to find a line boundary or a file's first line. */
const PROBE_BYTES = 64 * 1024;
/**
 * Smallest range a plain file is split into: each costs an open, a parser and a message, about a
 * millisecond; 1 MiB is 2 ms of counting.
 */
export const MIN_PIECE_BYTES = 1024 * 1024;
/** Largest range: ranges of up to 64 MiB keep the last piece to finish short next to the rest. */
const MAX_PIECE_BYTES = 64 * 1024 * 1024;
/**
 * A gzip file cannot be split (a deflate stream has no entry points): it is one piece, and its
 * compressed bytes weigh this much more (flow logs compress about 5 to 1; inflating is cheaper).
 */
const GZIP_WEIGHT = 4;

const LF = 0x0a;

/**
 * The pieces of each input, in file order, for `threads` threads: plain-text files are split at
 * line boundaries into ranges of about a eighth of each thread's share (between 1 and 64 MiB),
 * so that threads finishing early take more; gzip, Parquet, JSON exports, standard input and
 * anything unreadable are one piece each (a file that cannot be read fails in the reader, with
 * its usual message). An input given twice is planned twice.
 */
export async function planFilePieces(paths: readonly string[], threads: number): Promise<FilePiece[][]> {
  const heads = await Promise.all(paths.map((p) => probe(p)));
  const total = heads.reduce((n, h) => n + h.weight, 0);
  const target = Math.min(MAX_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, Math.ceil(total / (threads * 8))));
  return Promise.all(
    paths.map(async (path, file) => {
      const h = heads[file]!;
      if (h.startSpec === null || h.size < 2 * target)
        return [{ file, path, weight: h.weight, ...(h.parquet ? { parquet: true as const } : {}) }];
      return splitPlainFile(path, file, h.size, h.startSpec, target);
    }),
  );
}

interface Probe {
  readonly size: number;
  readonly weight: number;
  /** The format in force after the first line, or null when the file is not to be split. */
  readonly startSpec: string | null;
  readonly parquet?: boolean;
}

/** Size, weight and, for a plain-text flow log, the format its first line sets. */
async function probe(path: string): Promise<Probe> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) return { size: 0, weight: 0, startSpec: null };
    const head = Buffer.alloc(Math.min(PROBE_BYTES, st.size));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b)
      return { size: st.size, weight: st.size * GZIP_WEIGHT, startSpec: null };
    // Parquet (`PAR1`), CloudWatch Logs exports (`{`) and files that start blank are read whole.
    const c = b[0];
    if (b.length >= 4 && b.toString('latin1', 0, 4) === 'PAR1')
      return { size: st.size, weight: st.size, startSpec: null, parquet: true };
    if (c === undefined || c === 0x50 || c === 0x7b || c <= 0x20)
      return { size: st.size, weight: st.size, startSpec: null };
    return { size: st.size, weight: st.size, startSpec: firstLineFormat(b) };
  } catch {
    return { size: 0, weight: 0, startSpec: null };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The format a file's first line puts in force: its own when it is a header, else the default. */
function firstLineFormat(head: Buffer): string {
  const nl = head.indexOf(LF);
  const line = head.toString('latin1', 0, nl === -1 ? head.length : nl).replace(/\r$/, '');
  if (looksLikeFlowHeader(line)) {
    const f = parseFlowFormat(line);
    if (f.ok) return f.value.spec;
  }
  return DEFAULT_FLOW_FORMAT.spec;
}

/**
 * Where a file of `size` bytes is cut, before each cut moves to a line start: into even ranges of
 * about `target` bytes, the last of them cut again at its half and three quarters. Pieces go out
 * heaviest first, so these short ones go last: the threads then finish within a short piece of
 * each other, where even ranges left one thread reading a whole range alone at the end.
 */
export function cutPoints(size: number, target: number): number[] {
  const n = Math.ceil(size / target);
  const points: number[] = [];
  for (let k = 1; k < n; k++) points.push(Math.round((k * size) / n));
  // Two more opens and messages per file; not for ranges whose quarter is under 256 KiB.
  const last = size / n;
  if (last >= MIN_PIECE_BYTES) points.push(Math.round(size - last / 2), Math.round(size - last / 4));
  return points;
}

async function splitPlainFile(
  path: string,
  file: number,
  size: number,
  startSpec: string,
  target: number,
): Promise<FilePiece[]> {
  const cuts: number[] = [0];
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    for (const near of cutPoints(size, target)) {
      const at = await lineStartFrom(fh, near, size);
      if (at > cuts[cuts.length - 1]! && at < size) cuts.push(at);
    }
  } catch {
    // The file changed or vanished since it was probed: read it whole, the reader says what is wrong.
    return [{ file, path, weight: size }];
  } finally {
    await fh?.close().catch(() => undefined);
  }
  cuts.push(size);
  const pieces: FilePiece[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const range = { start: cuts[k]!, end: cuts[k + 1]! };
    pieces.push({ file, path, weight: range.end - range.start, range, ...(k > 0 ? { startSpec } : {}) });
  }
  return pieces;
}

/** The first line start at or after `offset` (the byte after a newline at `offset - 1` or later), or `size`. */
export async function lineStartFrom(fh: FileHandle, offset: number, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(PROBE_BYTES);
  for (let at = offset - 1; at < size; at += PROBE_BYTES) {
    const { bytesRead } = await fh.read(buf, 0, PROBE_BYTES, at);
    if (bytesRead === 0) break;
    const nl = buf.subarray(0, bytesRead).indexOf(LF);
    if (nl !== -1) return at + nl + 1;
  }
  return size;
}
