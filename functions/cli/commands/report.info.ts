import type { CommandInfo } from '../command.js';

/** What `pathguard report` says about itself; the command table loads its code only when it runs. */
export const reportInfo: CommandInfo = {
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
};
