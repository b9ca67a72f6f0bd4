import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactText } from '../../../shared/endpoints/redact.js';
import { UserInputError } from '../../../shared/errors.js';
import { analysisReportHtml, FolderReader } from '../../lib/report-input.js';
import type { CommandSpec } from '../command.js';
import { reportInfo } from './report.info.js';

function isoOption(v: unknown, name: string): string | null {
  if (v === undefined) return null;
  const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t))
    throw new UserInputError('USAGE', `--${name} must be an ISO 8601 time, e.g. 2026-11-25T00:00:00Z`);
  return new Date(t).toISOString();
}

/** `pathguard report`: the evidence report of an analysis folder, as one self-contained HTML file. */
export const reportCommand: CommandSpec = {
  ...reportInfo,
  async run({ values, positionals, io }) {
    if (positionals.length > 0)
      throw new UserInputError('USAGE', `unexpected argument '${redactText(positionals[0]!)}'; use --in DIR`);
    if (typeof values.in !== 'string') throw new UserInputError('USAGE', '--in DIR is required');
    const dir = values.in;
    const since = isoOption(values.since, 'since');
    const until = isoOption(values.until, 'until');
    if (since && until && since > until) throw new UserInputError('USAGE', '--since is after --until');
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new UserInputError('INPUT_UNREADABLE', `${redactText(dir)}: not a folder`, {}, 1);
    const out = typeof values.out === 'string' ? values.out : join(dir, 'report.html');
    const text = await analysisReportHtml(new FolderReader(dir), { since, until, generatedAt: new Date() });
    try {
      await writeFile(out, text);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'cannot be written';
      throw new UserInputError('OUTPUT_UNWRITABLE', `${redactText(out)}: ${code}`, {}, 1);
    }
    io.stdout.write(`${redactText(out)}\n`);
    return 0;
  },
};
