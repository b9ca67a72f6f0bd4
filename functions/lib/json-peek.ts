/** How far to look for the first key: an export or log file names it within its first bytes. */
const PEEK_LIMIT = 64 * 1024;

/**
 * Keys that open a CloudWatch Logs export document or one of its event objects, or a
 * subscription payload (`messageType`, `owner`, … as Firehose writes them; aws-facts §10.4) or a
 * Lambda subscription event (`awslogs`).
 */
const CLOUDWATCH_EXPORT_KEYS = new Set([
  'awslogs',
  'messageType',
  'owner',
  'logGroup',
  'logStream',
  'subscriptionFilters',
  'logEvents',
  'events',
  'searchedLogStreams',
  'nextToken',
  'nextForwardToken',
  'nextBackwardToken',
  'logGroupName',
  'logStreamName',
  'timestamp',
  'ingestionTime',
  'message',
]);

/** Whether a first key says the input is a CloudWatch Logs export (filter-log-events or its events). */
export function isCloudWatchExportKey(key: string | null): boolean {
  return key !== null && CLOUDWATCH_EXPORT_KEYS.has(key);
}

/**
 * Reads just enough of a JSON byte stream to find the first key of its first object (`events` in
 * `{"events": [...]}`, `eventVersion` in `[{"eventVersion": ...}]`), and hands back a stream that
 * replays those bytes. `key` is null when no key appears in the first 64 KiB. Keys with escapes
 * are returned as written; the callers compare them with plain names.
 *
 * @example
 * const { key, chunks } = await peekFirstJsonKey(opened.chunks);
 * if (isCloudWatchExportKey(key)) ... else ...
 */
export async function peekFirstJsonKey(
  source: AsyncIterable<Buffer>,
): Promise<{ key: string | null; chunks: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const held: Buffer[] = [];
  let bytes = 0;
  let key: string | null = null;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    held.push(r.value);
    bytes += r.value.length;
    const all = held.length === 1 ? r.value : Buffer.concat(held);
    const found = firstKey(all);
    if (found !== undefined) {
      key = found;
      break;
    }
    if (bytes >= PEEK_LIMIT) break;
  }
  return { key, chunks: replay(held, it) };
}

/** The first key, null when the first value is not an object with a key, undefined if unknown yet. */
function firstKey(b: Buffer): string | null | undefined {
  let i = 0;
  const n = b.length;
  const skip = () => {
    while (i < n && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  };
  skip();
  // A top-level array: look at its first element.
  if (i < n && b[i] === 0x5b) {
    i++;
    skip();
  }
  if (i >= n) return undefined;
  if (b[i] !== 0x7b) return null;
  i++;
  skip();
  if (i >= n) return undefined;
  if (b[i] !== 0x22) return null;
  const start = i + 1;
  const end = b.indexOf(0x22, start);
  if (end === -1) return undefined;
  return b.toString('utf8', start, end);
}

async function* replay(held: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  for (const b of held) yield b;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}
