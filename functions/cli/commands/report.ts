import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactText } from '../../../shared/endpoints/redact.js';
import { UserInputError } from '../../../shared/errors.js';
import { analysisReportHtml, FolderReader } from '../../lib/report-input.js';
import type { CommandSpec } from '../command.js';

function isoOption(v: unknown, name: string): string | null {
  if (v === undefined) return null;
  const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t))
    throw new UserInputError('USAGE', `--${name} must be an ISO 8601 time, e.g. 2026-11-25T00:00:00Z`);
  return new Date(t).toISOString();
}

/** `pathguard report`: the evidence report of an analysis folder, as one self-contained HTML file. */
export const reportCommand: CommandSpec = {
  path: ['report'],
  summary: 'write the evidence report (one self-contained HTML file) of an analysis folder',
  usage: 'report --in DIR [--out report.html] [--since ISO] [--until ISO]',
  help: `Reads an analysis folder (what \`pathguard lab --out DIR\` or \`pathguard analyze --out DIR\` writes, or an
export of the results bucket with the same layout: evidence/**.json, env.json or environment/latest.json,
config.json, analysis.json, reports/real-traffic/, state/alerts.json) and writes one HTML file: summary,
verdict matrix and timeline, the path of each probe with the records that prove each hop, posture drift
and the real-traffic audit, and the SHA-256 of every evidence bundle. Inline CSS and SVG, no external
request (a Content-Security-Policy forbids any), readable without JavaScript, printable on A4 and Letter.

Options:
  --in DIR       the analysis folder
  --out FILE     where to write the report (default: DIR/report.html)
  --since ISO    only probes created at or after this time
  --until ISO    only probes created at or before this time

Exit status: 0 written, 1 the folder or the output cannot be read or written, 2 usage.`,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
  },
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
