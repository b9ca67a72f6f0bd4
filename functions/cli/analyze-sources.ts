import type { Readable } from 'node:stream';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type {
  AccessLogBatch,
  AccessLogSource,
  CloudTrailQuery,
  CloudTrailSource,
  FlowLogSource,
  FlowQuery,
} from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { countAccessLogRecords, readAccessLogRecords } from '../lib/read-access-logs.js';
import { readCloudTrailRecords } from '../lib/read-cloudtrail.js';
import { countFlowRecords, readFlowRecords } from '../lib/read-flow.js';

/** The option that named an input, as the user typed it. */
export type InputOption = '--flow' | '--access' | '--cloudtrail';

/** Named files the analyzer never asked for, read afterwards so that bad input is still reported. */
export interface UnusedInput {
  readonly option: InputOption;
  readonly files: readonly string[];
  /** Valid records in them (rejected lines are in the run's reject counter). */
  readonly records: number;
}

export interface FileSourceOptions {
  readonly flow: readonly string[];
  readonly access: readonly string[];
  readonly cloudtrail: readonly string[];
  /** Format of flow-log files without a header line. */
  readonly format: string | undefined;
  /** Every rejected line of every file, counted once per file. */
  readonly rejects: RejectCounter;
  readonly stdin: Readable;
}

/** The analyzer's three log sources over files, and what they left unread. */
export interface FileSources {
  readonly flowSource: FlowLogSource | null;
  readonly accessLogSource: AccessLogSource | null;
  readonly cloudTrailSource: CloudTrailSource | null;
  /**
   * Reads every named file that no query read (the analyzer asks for flow records only by a
   * runner's addresses, so without observations it asks for none), counting records and bad
   * lines as a query would have. Throws the reader's InputReadError for an unreadable file.
   */
  readUnused(): Promise<UnusedInput[]>;
}

/**
 * File-backed sources for `pathguard analyze`. Queries may read a file more than once; its bad
 * lines are counted on the first read only.
 *
 * @example
 * const sources = fileSources({ flow, access, cloudtrail, format, rejects, stdin });
 * const result = await runAnalyzer(input, { ...deps, ...sources });
 * for (const u of await sources.readUnused()) io.stderr.write(`${u.option}: ${u.records} record(s) not used\n`);
 */
export function fileSources(o: FileSourceOptions): FileSources {
  const flow = tracked(o.flow, o.rejects);
  const access = tracked(o.access, o.rejects);
  const cloudtrail = tracked(o.cloudtrail, o.rejects);
  const stdin = o.stdin;
  const formatOpt = o.format ? { format: o.format } : {};
  return {
    flowSource: flow.files.length === 0 ? null : flowSource(flow, formatOpt, stdin),
    accessLogSource: access.files.length === 0 ? null : accessSource(access, stdin),
    cloudTrailSource: cloudtrail.files.length === 0 ? null : cloudTrailSource(cloudtrail, stdin),
    async readUnused() {
      const out: UnusedInput[] = [];
      const add = async (option: InputOption, t: Tracked, count: CountFile) => {
        const files: string[] = [];
        let records = 0;
        for (let i = 0; i < t.files.length; i++) {
          if (t.read[i]) continue;
          files.push(t.files[i]!);
          records += await count(t.files[i]!, t.rejectsFor(i));
        }
        if (files.length > 0) out.push({ option, files, records });
      };
      await add('--flow', flow, (f, rejects) => countFlowRecords(f, { rejects, stdin, ...formatOpt }));
      await add('--access', access, (f, rejects) => countAccessLogRecords(f, { rejects, stdin }));
      await add('--cloudtrail', cloudtrail, async (f, rejects) => {
        let n = 0;
        for await (const batch of readCloudTrailRecords(f, { rejects, stdin })) n += batch.length;
        return n;
      });
      return out;
    },
  };
}

type CountFile = (file: string, rejects: RejectCounter) => Promise<number>;

/** Files of one option: which were read, and the reject counter for a read of file `i`. */
interface Tracked {
  readonly files: readonly string[];
  readonly read: boolean[];
  rejectsFor(i: number): RejectCounter;
}

function tracked(files: readonly string[], rejects: RejectCounter): Tracked {
  const read = files.map(() => false);
  return {
    files,
    read,
    rejectsFor(i) {
      if (read[i]) return new RejectCounter(0);
      read[i] = true;
      return rejects;
    },
  };
}

function touches(r: FlowRecord, addresses: ReadonlySet<string>): boolean {
  return [r.srcaddr, r.dstaddr, r.pktSrcaddr, r.pktDstaddr].some(
    (a) => typeof a === 'string' && addresses.has(a),
  );
}

function flowSource(t: Tracked, formatOpt: { format?: string }, stdin: Readable): FlowLogSource {
  return {
    name: 'flow-files',
    async *findFlows(q: FlowQuery) {
      const wanted = new Set(q.addresses);
      for (let i = 0; i < t.files.length; i++) {
        const opts = { rejects: t.rejectsFor(i), stdin, ...formatOpt };
        for await (const batch of readFlowRecords(t.files[i]!, opts)) {
          const kept = batch.filter((r) => touches(r, wanted));
          if (kept.length > 0) yield kept;
        }
      }
    },
  };
}

function accessSource(t: Tracked, stdin: Readable): AccessLogSource {
  return {
    name: 'access-log-files',
    async *readSince(): AsyncIterable<AccessLogBatch> {
      for (let i = 0; i < t.files.length; i++) {
        const f = t.files[i]!;
        for await (const records of readAccessLogRecords(f, { rejects: t.rejectsFor(i), stdin })) {
          yield { records, checkpoint: f, origin: f };
        }
      }
    },
  };
}

function cloudTrailSource(t: Tracked, stdin: Readable): CloudTrailSource {
  return {
    name: 'cloudtrail-files',
    async *findEvents(q: CloudTrailQuery) {
      for (let i = 0; i < t.files.length; i++) {
        for await (const batch of readCloudTrailRecords(t.files[i]!, { rejects: t.rejectsFor(i), stdin })) {
          const kept = batch.filter((r: CloudTrailRecord) => !q.bucket || r.bucketName === q.bucket);
          if (kept.length > 0) yield kept;
        }
      }
    },
  };
}
