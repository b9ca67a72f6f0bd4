import type { RejectCounter } from '../../../shared/text/rejects.js';
import { type CliIo, writeOut } from '../command.js';

/**
 * Runs a `parse` command's reading (`read` returns the records read) and reports the same way for
 * every log kind: with `--count` the totals on stdout; the rejects on stderr (always without
 * `--count`, else when there are any). What was read before a failure is still reported; the
 * dispatcher prints the error.
 */
export async function reportParse(
  io: CliIo,
  rejects: RejectCounter,
  countOnly: boolean,
  read: () => Promise<number>,
): Promise<number> {
  let records: number;
  try {
    records = await read();
  } catch (e) {
    io.stderr.write(`${rejects.format().join('\n')}\n`);
    throw e;
  }
  if (countOnly) await writeOut(io.stdout, `records ${records} rejected ${rejects.count}\n`);
  if (!countOnly || rejects.count > 0) io.stderr.write(`${rejects.format().join('\n')}\n`);
  return 0;
}
