/**
 * The evidence report as one self-contained HTML file: inline CSS and SVG, no external request
 * of any kind (the Content-Security-Policy meta tag forbids every fetch: `default-src 'none'`,
 * images only as `data:`), readable without JavaScript (a small filter script, allowed by its
 * hash, only hides path diagrams), printable on A4 and Letter.
 *
 * Sections, in order: summary (period, scope, environment digests, counts per verdict, private
 * share per vantage, violations and blind spots side by side), verdict matrix and timeline, a
 * path diagram per probe, posture drift and the real-traffic audit, the evidence appendix.
 *
 * Size and speed: a path diagram's drawing (nodes, rules, fix) is the same for every probe that
 * took the same path, so it is defined once (`<g id="s…">`) and each probe's diagram `<use>`s it
 * and adds only its own record ids. The drawing is one SVG image (a `data:` URL, allowed by the
 * CSP's `img-src data:`) rather than SVG elements: Chromium clones a `<use>`d group's elements
 * into every `<use>`, visible or not, and 10,000 clones of 45 elements took longer to build than
 * the rest of the page (docs/benchmarks.md). The group's `<title>` carries the drawing's text.
 */
import { environmentIndexOf } from '../env/environment-index.js';
import type { PathVerdict } from '../probes/types.js';
import {
  buildEvidenceReport,
  cellKey,
  type EvidenceReportInput,
  type EvidenceReportModel,
  probeMethod,
  type ReportBundle,
  VERDICT_MARK,
  VERDICT_ORDER,
  worstVerdict,
} from './evidence-report.js';
import { anchorId, type HtmlValue, html, join, raw, type SafeHtml, svgDataUrl } from './html.js';
import { type PathNote, type ProbePath, probePath } from './path-diagram.js';

export interface RenderReportDeps {
  /** Base64 SHA-256 of a text, for the CSP hashes of the inline style and script (node:crypto in functions/). */
  sha256Base64: (text: string) => string;
}

const NODE_W = 180;
const NODE_H = 80;
const GAP = 25;
const NOTE_H = 14;
/** Records drawn per probe; the rest are counted (the bundle has them all). */
const MAX_NOTES = 3;
const DIAGRAM_W = 5 * NODE_W + 4 * GAP;
/** Where a note's record id starts (the rule and path before it are shared by the probes of a shape). */
const ID_X = 470;

/** The y of the drawing's first record row: under the nodes and the hop's rule line. */
const FIRST_NOTE_Y = NODE_H + 15 + NOTE_H;

/**
 * Where a probe's record ids go: the k-th `<text>` of a diagram on the k-th record row, at the ids'
 * column. In CSS rather than `x`/`y` on each of 10,000 diagrams' ids (about 8 bytes a record);
 * the probe's own node lines, which carry `x` and `y`, keep theirs.
 */
const NOTE_POSITIONS = Array.from(
  { length: MAX_NOTES },
  (_, k) =>
    `#paths text:nth-of-type(${k + 1}){transform:translate(${ID_X}px,${FIRST_NOTE_Y + k * NOTE_H}px)}`,
).join('');

/**
 * Okabe–Ito colours (distinguishable with the common colour-vision deficiencies); every use also
 * carries the verdict's word or letter.
 */
const STYLE = `
:root{--private:#009E73;--left-path:#D55E00;--no-evidence:#CC79A7;--pending:#F0E442;--blocked:#0072B2;--ink:#1a1a1a;--mute:#5a5a5a;--line:#c8c8c8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:16px 20px;print-color-adjust:exact;-webkit-print-color-adjust:exact}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:2px solid var(--ink);padding-bottom:2px;margin:28px 0 10px}h3{font-size:15px;margin:16px 0 6px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.meta{color:var(--mute);margin:0}
nav{margin:10px 0;display:flex;gap:14px;flex-wrap:wrap}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f2f2f2}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dl.kv dt{font-weight:600}dl.kv dd{margin:0}
ul.counts{list-style:none;padding:0;display:flex;gap:8px;flex-wrap:wrap}ul.counts li{border:1px solid var(--line);border-left-width:8px;padding:4px 10px;min-width:120px}ul.counts b{font-size:20px;display:block}
.v-private{border-left-color:var(--private)!important}.v-left-path{border-left-color:var(--left-path)!important}.v-no-evidence{border-left-color:var(--no-evidence)!important}.v-pending{border-left-color:var(--pending)!important}.v-blocked{border-left-color:var(--blocked)!important}
.alarms{display:grid;grid-template-columns:1fr 1fr;gap:12px}.alarm{border:3px solid var(--ink);padding:8px 12px}.alarm h3{margin-top:0}.alarm.ok{border-style:dashed;border-color:var(--line)}
.alarm ul{padding-left:18px;margin:4px 0}
td.cell{border-left:8px solid var(--line)}td.cell a{color:inherit;text-decoration:none;font-weight:600}td.cell small{display:block;color:var(--mute)}
svg{display:block;width:100%;height:auto}text{font:11px system-ui,sans-serif;fill:var(--ink)}
.tl-cell{stroke:#fff}.tl-private{fill:var(--private)}.tl-left-path{fill:var(--left-path)}.tl-no-evidence{fill:var(--no-evidence)}.tl-pending{fill:var(--pending)}.tl-blocked{fill:var(--blocked)}.tl-none{fill:#eee}
.tl-l{font:bold 10px system-ui,sans-serif;text-anchor:middle}.tl-blocked+.tl-l,.tl-left-path+.tl-l{fill:#fff}
/* A diagram's own record ids, drawn at the same offset over its shared drawing. */
#paths text{font:10px ui-monospace,Menlo,Consolas,monospace}${NOTE_POSITIONS}#paths text[x]{transform:none}
#paths figure{margin:10px 0 14px;border-top:1px solid var(--line);padding-top:6px}
.big #paths figure{content-visibility:auto;contain-intrinsic-size:auto 200px}
#paths figure figcaption{font-size:13px;overflow-wrap:anywhere}#paths figure figcaption b{padding:0 4px;border-left:6px solid var(--line)}#paths figure[data-verdict=private] figcaption b{border-left-color:var(--private)}#paths figure[data-verdict=left-path] figcaption b{border-left-color:var(--left-path)}#paths figure[data-verdict=no-evidence] figcaption b{border-left-color:var(--no-evidence)}#paths figure[data-verdict=pending] figcaption b{border-left-color:var(--pending)}#paths figure[data-verdict=blocked] figcaption b{border-left-color:var(--blocked)}
svg.bar{height:12px;width:100%}
pre.sums{font-size:11px;white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0 10px}#filters{margin:8px 0}#filters label{margin-right:12px}
.defs{position:absolute;width:0;height:0;overflow:hidden}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:13px;margin:6px 0}.legend span{border-left:10px solid var(--line);padding-left:4px}
@page{margin:12mm}
@media print{body{max-width:none;padding:0;font-size:11px}nav,#filters{display:none}#paths figure,table tr,.alarm{break-inside:avoid}h2{break-after:avoid}a{color:inherit;text-decoration:none}.alarms{grid-template-columns:1fr 1fr}}
`;

/**
 * Filtering path diagrams by verdict and vantage (a diagram's vantage is its drawing's: every
 * drawing is of one vantage). Without JavaScript the controls stay hidden and every diagram shows.
 */
const SCRIPT = `(()=>{const f=document.getElementById('filters');if(!f)return;f.hidden=false;const v=f.querySelector('[name=verdict]'),a=f.querySelector('[name=vantage]');const go=()=>{for(const e of document.querySelectorAll('#paths figure')){const s=document.querySelector(e.querySelector('use').getAttribute('href'));e.hidden=!!(v.value&&e.dataset.verdict!==v.value)||!!(a.value&&s.dataset.vantage!==a.value);}};v.addEventListener('change',go);a.addEventListener('change',go);})();`;

/** The Content-Security-Policy of a report: nothing may be fetched; only this style and script run. */
export function reportCsp(deps: RenderReportDeps): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${deps.sha256Base64(STYLE)}'`,
    `script-src 'sha256-${deps.sha256Base64(SCRIPT)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Cut to `n` characters with an ellipsis: SVG text does not wrap. The full text is in the bundle. */
function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function wrap(s: string, width: number, maxLines: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  if (out.length > maxLines) {
    out.length = maxLines;
    out[maxLines - 1] = cut(`${out[maxLines - 1]} …`, width);
  }
  return out.map((l) => cut(l, width));
}

/**
 * Past this many probes, diagrams off screen are not laid out until scrolled to
 * (`content-visibility: auto`): a 10,000-probe report then opens in well under 2 s (docs/benchmarks.md).
 * Below it every diagram is laid out at once, so a full-page screenshot shows them all.
 */
const BIG_REPORT = 200;

const verdictLabel = (v: PathVerdict) => `${VERDICT_MARK[v]?.mark ?? ''} ${v}`;

// --- Path diagrams ------------------------------------------------------------------------------

interface Shape {
  id: string;
  height: number;
  markup: SafeHtml;
}

/**
 * The notes drawn, in drawing order: flow records (at the route), then S3's access-log lines and
 * CloudTrail events. Past {@link MAX_NOTES}, the deciding record and the first record of each
 * source come first, so every hop keeps the evidence that proves it; the rest are counted.
 */
function drawnNotes(p: ProbePath): PathNote[] {
  const all = [...p.routeNotes, ...p.s3Notes];
  if (all.length <= MAX_NOTES) return all;
  const keep = new Set<PathNote>(all.filter((n) => n.deciding).slice(0, 1));
  for (const source of new Set(all.map((n) => n.source))) {
    if (keep.size < MAX_NOTES) keep.add(all.find((n) => n.source === source)!);
  }
  for (const n of all) if (keep.size < MAX_NOTES) keep.add(n);
  return all.filter((n) => keep.has(n));
}

function badge(notes: readonly PathNote[]): string {
  const by = new Map<string, number>();
  for (const n of notes) by.set(n.label, (by.get(n.label) ?? 0) + 1);
  return [...by.entries()].map(([l, k]) => `▼ ${k} ${l}${k > 1 ? 's' : ''}`).join(', ');
}

/**
 * The drawing's own stylesheet and markers: an SVG image sees nothing of the page (Okabe–Ito
 * colours as in {@link STYLE}).
 */
const DRAWING_HEAD = `<style>text{font:11px system-ui,sans-serif;fill:#1a1a1a}.t{font-weight:700}.m{font:10px ui-monospace,Menlo,Consolas,monospace}.n rect{fill:#fafafa;stroke:#777;stroke-width:1.2}.n.hop rect{stroke:#1a1a1a;stroke-width:2}.n.hop.left rect{stroke:#D55E00;stroke-width:4;fill:url(#hatch)}.n.hop.blind rect{stroke-dasharray:5 3}.ar{stroke:#555;stroke-width:1.5;fill:none;marker-end:url(#ah)}.warn{fill:#D55E00;font-weight:700}.fix{font-weight:600}</style><defs><marker id="ah" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="#555"/></marker><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff3ec"/><line x1="0" y1="0" x2="0" y2="8" stroke="#D55E00" stroke-width="2" stroke-opacity=".35"/></pattern></defs>`;

/** The drawing's text as one line: the `<title>` of the shape (tooltip, screen readers, search). */
function shapeText(p: ProbePath, hopLabel: string): string {
  const nodes = p.nodes.map((n) => [n.title, ...n.lines].join(' ')).join(' → ');
  const notes = drawnNotes(p).map(
    (n) =>
      `${n.deciding ? '★ ' : ''}${n.label} at ${n.source === 'flow' ? 'route' : 'S3'}: ${n.rule} → ${n.path}`,
  );
  return [nodes, `${hopLabel} · ${p.rule}`, ...notes, ...p.fix.slice(0, 1).map((f) => `Fix: ${f}`)].join(
    '. ',
  );
}

/** The drawing every probe on this path shares: nodes, arrows, the notes' rules, the fix. */
function shapeMarkup(id: string, p: ProbePath, verdict: PathVerdict, vantage: string): Shape {
  const nodes = p.nodes.map((n, i) => {
    const x = i * (NODE_W + GAP);
    const isHop = n.role === 'hop';
    const cls = `n ${n.role}${isHop && p.left ? ' left' : ''}${isHop && p.hop === 'unknown' ? ' blind' : ''}`;
    const b = n.role === 'route' ? badge(p.routeNotes) : n.role === 's3' ? badge(p.s3Notes) : '';
    return html`<g class="${cls}"${isHop ? html` data-hop="${p.hop}"` : ''}><rect x="${x}" y="0" width="${NODE_W}" height="${NODE_H}" rx="6"/><text class="t" x="${x + 8}" y="16">${cut(n.title, 27)}</text>${n.lines
      .slice(0, 3)
      .map(
        (l, j) => html`<text class="m" x="${x + 8}" y="${31 + j * 13}">${cut(l, 28)}</text>`,
      )}${b ? html`<text class="m" x="${x + 8}" y="${NODE_H - 6}">${cut(b, 28)}</text>` : ''}</g>${i < 4 ? html`<path class="ar" d="M${x + NODE_W} ${NODE_H / 2}h${GAP - 3}"/>` : ''}`;
  });
  const hopX = 3 * (NODE_W + GAP);
  const under: SafeHtml[] = [];
  const hopLabel = p.left ? 'LEFT PATH' : verdict;
  under.push(
    html`<text class="${p.left ? 'warn' : 't'}" x="${hopX}" y="${NODE_H + 15}">${cut(`${hopLabel} · ${p.rule}`, 38)}</text>`,
  );
  const notes = drawnNotes(p);
  let y = NODE_H + 15;
  notes.forEach((n) => {
    y += NOTE_H;
    const where = n.source === 'flow' ? 'route' : 'S3';
    under.push(
      html`<text class="m" x="0" y="${y}">${cut(`${n.deciding ? '★ ' : '  '}${n.label} at ${where}: ${n.rule} → ${n.path}`, 76)}</text>`,
    );
  });
  const more = p.routeNotes.length + p.s3Notes.length - notes.length;
  if (more > 0 || notes.length === 0 || p.omitted > 0) {
    y += NOTE_H;
    const capped = p.omitted > 0 ? `; ${p.omitted} more matched, counted but not kept` : '';
    under.push(
      html`<text class="m" x="0" y="${y}">${notes.length === 0 ? 'no log record matched this probe' : `+${more} more record(s) in the bundle${capped}`}</text>`,
    );
  }
  const fix = p.fix.length > 0 ? wrap(`Fix: ${p.fix[0]}`, 150, 3) : [];
  for (const l of fix) {
    y += NOTE_H;
    under.push(html`<text class="fix${p.left ? ' warn' : ''}" x="0" y="${y}">${l}</text>`);
  }
  const height = y + 6;
  const drawing = html`<svg xmlns="http://www.w3.org/2000/svg" width="${DIAGRAM_W}" height="${height}">${raw(DRAWING_HEAD)}${nodes}${under}</svg>`;
  const markup = html`<g id="${id}" data-hop="${p.hop}" data-vantage="${vantage}"><title>${shapeText(p, hopLabel)}</title><image width="${DIAGRAM_W}" height="${height}" href="${svgDataUrl(drawing)}"/></g>`;
  return { id, height, markup };
}

interface Diagram {
  shape: Shape;
  bundle: ReportBundle;
  path: ProbePath;
}

function diagrams(model: EvidenceReportModel): { shapes: Shape[]; items: Diagram[] } {
  const env = model.input.environment;
  const idx = env ? environmentIndexOf(env) : null;
  const shapes = new Map<string, Shape>();
  const items: Diagram[] = [];
  for (const rb of model.bundles) {
    const p = probePath(rb.bundle, idx);
    const notes = drawnNotes(p).map((n) => [n.label, n.rule, n.path, n.deciding]);
    const key = JSON.stringify([
      rb.bundle.probe.vantage.id,
      p.nodes.map((n) => [n.role, n.title, n.lines]),
      p.hop,
      p.left,
      p.rule,
      p.fix[0] ?? '',
      notes,
      p.routeNotes.length + p.s3Notes.length,
      p.omitted,
      rb.bundle.verdict.verdict,
    ]);
    let s = shapes.get(key);
    if (!s) {
      s = shapeMarkup(`s${shapes.size + 1}`, p, rb.bundle.verdict.verdict, rb.bundle.probe.vantage.id);
      shapes.set(key, s);
    }
    items.push({ shape: s, bundle: rb, path: p });
  }
  return { shapes: [...shapes.values()], items };
}

/**
 * One probe's diagram: the shared drawing plus this probe's record ids. Kept small on purpose
 * (about 0.35 KB): a 10,000-probe report must stay under 5 MB. The caption labels the figure.
 */
function diagramFigure(d: Diagram): SafeHtml {
  const b = d.bundle.bundle;
  const p = b.probe;
  const v = b.verdict.verdict;
  // Placed by NOTE_POSITIONS: the ids come first among the diagram's <text>s.
  const ids = drawnNotes(d.path).map((n) => html`<text>${cut(n.id, 85)}</text>`);
  // The probe's own node lines (its DNS answer), under the shared ones.
  const own = d.path.nodes.flatMap((n, i) =>
    (n.own ?? [])
      .slice(0, Math.max(0, 3 - n.lines.length))
      .map(
        (l, j) =>
          html`<text x="${i * (NODE_W + GAP) + 8}" y="${31 + (n.lines.length + j) * 13}">${cut(l, 28)}</text>`,
      ),
  );
  // Vantage, target and style are drawn in the shared nodes; the caption names what is this probe's own.
  return html`<figure id="${anchorId('p', p.probeId)}" data-verdict="${v}"><figcaption><b>${verdictLabel(v)}</b> ${p.probeId} ${p.createdAt}${methodOf(d.bundle)}</figcaption><svg viewBox="0 0 ${DIAGRAM_W} ${d.shape.height}"><use href="#${d.shape.id}"/>${ids}${own}</svg></figure>`;
}

function methodOf(rb: ReportBundle): string {
  const m = (rb.bundle.probe as unknown as Record<string, unknown>).method;
  return typeof m === 'string' && m !== '' ? ` ${m}` : '';
}

function pathsSection(model: EvidenceReportModel): SafeHtml {
  const { shapes, items } = diagrams(model);
  const options = (values: readonly string[]) => values.map((x) => html`<option value="${x}">${x}</option>`);
  return html`<section id="paths"><h2>3. Path of each probe</h2>
<p>Each probe's request: vantage → DNS answer → the route that matched → the hop → S3. Flow records are drawn under the route, access-log lines and CloudTrail events under S3; ★ marks the record that decided the verdict and the hop shows its rule. A left-path hop is drawn hatched with a thick border and the fix. Record ids are redacted where they could hold a secret.</p>
<div id="filters" hidden><label>Verdict <select name="verdict"><option value="">all</option>${options(VERDICT_ORDER)}</select></label><label>Vantage <select name="vantage"><option value="">all</option>${options(model.vantages)}</select></label></div>
<svg class="defs" aria-hidden="true" focusable="false"><defs>${shapes.map((s) => s.markup)}</defs></svg>
${items.length === 0 ? html`<p>No probe in this period.</p>` : items.map(diagramFigure)}
</section>`;
}

// --- Summary --------------------------------------------------------------------------------------

function list(values: readonly string[], empty = 'none seen'): HtmlValue {
  return values.length === 0 ? empty : join(values, ', ');
}

function probeLink(rb: ReportBundle, text?: HtmlValue): SafeHtml {
  const p = rb.bundle.probe;
  // The method too (upload probes): a regional GET, PUT and POST are three targets, as in the matrix.
  const method = probeMethod(rb.bundle);
  const target = `${p.vantage.id} → ${p.bucket} ${p.style}${method === null ? '' : ` ${method}`}`;
  return html`<a href="#${anchorId('p', p.probeId)}">${text ?? target}</a>`;
}

function summarySection(model: EvidenceReportModel): SafeHtml {
  const { scope, counts, blindSpots } = model;
  const total = model.bundles.length;
  const current = model.input.environmentDigest;
  const digests = model.environmentDigests.map(
    (d) =>
      html`<li><code>${d.digest}</code>: ${d.probes} probe(s)${current && d.digest !== current ? ' (not the current environment)' : ''}</li>`,
  );
  const violations = model.violations;
  const blindCount =
    blindSpots.noEvidence.length + blindSpots.silentRunners.length + blindSpots.silentSources.length;
  const share = model.privateShare.map((s) => {
    const pct = s.total === 0 ? 0 : Math.round((s.private / s.total) * 1000) / 10;
    return html`<tr><td>${s.vantage}</td><td>${pct}% (${s.private} of ${s.total})</td><td><svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"><rect width="100" height="8" fill="#eee"/><rect width="${pct}" height="8" class="tl-private"/></svg></td></tr>`;
  });
  const shortList = (items: readonly ReportBundle[]) =>
    html`<ul>${items.slice(0, 20).map((rb) => html`<li>${probeLink(rb)} at ${rb.bundle.probe.createdAt}: <span class="mono">${cut(rb.bundle.verdict.reason, 220)}</span></li>`)}${items.length > 20 ? html`<li>… and ${items.length - 20} more (filter the path diagrams)</li>` : ''}</ul>`;
  return html`<section id="summary"><h2>1. Summary</h2>
<dl class="kv"><dt>Period</dt><dd>${model.period.from ?? 'no probe'} – ${model.period.to ?? 'no probe'}</dd>
<dt>Accounts</dt><dd>${list(scope.accounts)}</dd><dt>Regions</dt><dd>${list(scope.regions)}</dd><dt>VPCs</dt><dd>${list(scope.vpcs)}</dd><dt>Vantages</dt><dd>${list(scope.vantages)}</dd><dt>Buckets</dt><dd>${list(scope.buckets)}</dd>
<dt>Environment</dt><dd>${current ? html`current <code>${current}</code>` : 'no environment document in the input'}${digests.length > 0 ? html`<br>judged against:<ul>${digests}</ul>` : ''}</dd>
<dt>Probes</dt><dd>${total}</dd></dl>
<ul class="counts">${VERDICT_ORDER.map((v) => html`<li class="v-${v}"><b>${counts[v]}</b>${verdictLabel(v)}</li>`)}</ul>
<div class="alarms"><div class="alarm${violations.length === 0 ? ' ok' : ''}" id="violations"><h3>Violations: ${violations.length} left-path probe(s)</h3>${violations.length === 0 ? html`<p>No probe left the endpoint path in this period.</p>` : shortList(violations)}</div>
<div class="alarm${blindCount === 0 ? ' ok' : ''}" id="blind-spots"><h3>Blind spots: ${blindSpots.noEvidence.length} no-evidence probe(s)</h3>${
    blindCount === 0
      ? html`<p>Every expected source spoke in time and every runner reported.</p>`
      : html`${
          blindSpots.silentSources.length > 0
            ? html`<p>Silent sources: ${join(
                blindSpots.silentSources.map((s) => `${s.source} (${s.probes} probe(s))`),
                ', ',
              )}</p>`
            : ''
        }${
          blindSpots.silentRunners.length > 0
            ? html`<p>Silent runners: ${join(
                blindSpots.silentRunners.map((s) => `${s.vantage} (${s.probes} probe(s))`),
                ', ',
              )}</p>`
            : ''
        }${shortList(blindSpots.noEvidence)}`
  }<p>No evidence is not compliance: these probes are unproven.</p></div></div>
<h3>Share of probes private, per vantage</h3><table><tr><th>vantage</th><th>private</th><th>share</th></tr>${share}</table>
${model.input.notes.length > 0 ? html`<h3>Problems reading the input</h3><ul>${model.input.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</section>`;
}

// --- Matrix and timeline --------------------------------------------------------------------------

function matrixSection(model: EvidenceReportModel): SafeHtml {
  const head = model.columns.map(
    (c) => html`<th>${c.bucket}<br>${c.style}${c.method ? html`<br>${c.method}` : ''}</th>`,
  );
  const rows = model.vantages.map((v) => {
    const cells = model.columns.map((c) => {
      const cell = model.matrix.get(cellKey(v, c.key));
      if (!cell) return html`<td class="cell">— not probed</td>`;
      const b = cell.bundle.bundle;
      const verdict = b.verdict.verdict;
      return html`<td class="cell v-${verdict}" data-vantage="${v}" data-bucket="${c.bucket}" data-style="${c.style}" data-method="${c.method ?? ''}" data-verdict="${verdict}">${probeLink(cell.bundle, verdictLabel(verdict))}<small>${b.verdict.path ?? b.verdict.code}</small></td>`;
    });
    return html`<tr><th>${v}</th>${cells}</tr>`;
  });
  return html`<section id="matrix"><h2>2. Verdict matrix and timeline</h2>
<p>The latest probe of each vantage and target in the period. Each cell names its verdict and path; follow it to the probe's path diagram.</p>
${legend()}
<table class="matrix"><tr><th>vantage</th>${head}</tr>${rows}</table>
<h3>Timeline</h3><p>Probes per vantage over the period; each cell shows the worst verdict of its interval by letter (${join(
    VERDICT_ORDER.map((v) => `${VERDICT_MARK[v].letter} ${v}`),
    ', ',
  )}); hover a cell for its counts.</p>
${timelineSvg(model)}
</section>`;
}

function legend(): SafeHtml {
  return html`<div class="legend">${VERDICT_ORDER.map((v) => html`<span class="v-${v}">${VERDICT_MARK[v].letter} ${verdictLabel(v)}</span>`)}</div>`;
}

function timelineSvg(model: EvidenceReportModel): SafeHtml {
  const { rows, from, binMs } = model.timeline;
  const label = 120;
  const n = rows[0]?.bins.length ?? 1;
  const cw = Math.max(12, Math.floor(860 / n));
  const rh = 22;
  const width = label + n * cw + 10;
  const height = rows.length * rh + 34;
  const iso = (t: number) =>
    Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : '';
  const body = rows.map((r, i) => {
    const y = i * rh + 4;
    const cells = r.bins.map((bin, j) => {
      const w = worstVerdict(bin);
      const x = label + j * cw;
      const counts = VERDICT_ORDER.filter((v) => (bin[v] ?? 0) > 0)
        .map((v) => `${bin[v]} ${v}`)
        .join(', ');
      return html`<g><title>${r.vantage} ${iso(from + j * binMs)}: ${counts || 'no probe'}</title><rect class="tl-cell tl-${w ?? 'none'}" x="${x}" y="${y}" width="${cw}" height="${rh - 2}"/>${w ? html`<text class="tl-l" x="${x + cw / 2}" y="${y + 14}">${VERDICT_MARK[w].letter}</text>` : ''}</g>`;
    });
    return html`<text x="0" y="${y + 14}">${cut(r.vantage, 20)}</text>${cells}`;
  });
  const axisY = rows.length * rh + 20;
  return html`<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="verdicts per vantage over time">${body}<text x="${label}" y="${axisY}">${iso(from)}</text><text x="${width - 10}" y="${axisY}" text-anchor="end">${iso(from + n * binMs)} UTC (${Math.round(binMs / 60_000)} min per cell)</text></svg>`;
}

// --- Drift, real traffic, appendix ------------------------------------------------------------------

function driftSection(model: EvidenceReportModel): SafeHtml {
  const d = model.drift;
  const rt = model.realTraffic;
  const groups = rt?.nonPrivate ?? [];
  return html`<section id="drift"><h2>4. Posture drift and real traffic</h2>
<h3>Posture drift</h3>${
    d.length === 0
      ? html`<p>No posture drift recorded in the input.</p>`
      : html`<table><tr><th>severity</th><th>code</th><th>resource</th><th>what changed</th><th>fix</th></tr>${d.map((x) => html`<tr><td>${x.severity}</td><td><code>${x.code}</code></td><td><code>${x.resource}</code></td><td>${x.message}</td><td>${x.fix ?? ''}</td></tr>`)}</table>`
  }
<h3 id="real-traffic">Real presigned traffic in the monitored buckets</h3>${
    rt === null
      ? html`<p>No real-traffic audit in the input.</p>`
      : html`<p>${rt.presignedRequests} presigned request(s) from ${rt.window.from ?? '-'} to ${rt.window.to ?? '-'}; <b>${rt.nonPrivateRequests} not through a VPC endpoint</b>. By path: ${
          Object.keys(rt.byPath).length === 0
            ? 'none'
            : join(
                Object.entries(rt.byPath)
                  .sort()
                  .map(([k, n]) => `${k} ${n}`),
                ', ',
              )
        }.${rt.droppedGroupRequests > 0 ? ` ${rt.droppedGroupRequests} request(s) beyond the group limit are counted but not listed.` : ''}</p>${
          groups.length === 0
            ? ''
            : html`<table><tr><th>requests</th><th>remote IP</th><th>Host header</th><th>path</th><th>first / last seen</th><th>user agent</th><th>sample keys</th><th>rule</th></tr>${groups.map((g) => html`<tr><td>${g.count}</td><td><code>${g.remoteIp ?? '-'}</code></td><td><code>${g.hostHeader ?? '-'}</code></td><td>${g.path}</td><td>${g.firstSeen ?? '-'}<br>${g.lastSeen ?? '-'}</td><td><code>${g.userAgent ?? '-'}</code></td><td><code>${join(g.sampleKeys, ' ')}</code></td><td class="mono">${cut(g.reason, 200)}</td></tr>`)}</table>`
        }`
  }
</section>`;
}

/**
 * A line of `sha256sum -c` input: digest, two spaces, name. A name holding a backslash or a line
 * break is written as GNU coreutils writes it: the line starts with `\\`, the name escaped.
 */
function checksumLine(sha256: string, name: string): string {
  if (!/[\\\n\r]/.test(name)) return `${sha256}  ${name}`;
  const escaped = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `\\${sha256}  ${escaped}`;
}

const NEWLINE = raw('\n');

function appendixSection(model: EvidenceReportModel): SafeHtml {
  // Grouped by folder, each as `sha256sum -c` input for that folder: one text block per folder
  // instead of a table row per bundle (about 10 bytes and five DOM nodes less per bundle).
  const byFolder = new Map<string, ReportBundle[]>();
  for (const rb of [...model.bundles].sort((a, b) => a.key.localeCompare(b.key))) {
    const cutAt = rb.key.lastIndexOf('/') + 1;
    const folder = rb.key.slice(0, cutAt);
    const list = byFolder.get(folder) ?? [];
    list.push(rb);
    byFolder.set(folder, list);
  }
  const blocks = [...byFolder.entries()].map(
    ([folder, list]) =>
      html`<h3 class="mono">${folder || './'}</h3><pre class="sums">${list.map((rb) => html`${checksumLine(rb.sha256, rb.key.slice(folder.length))}${NEWLINE}`)}</pre>`,
  );
  return html`<section id="appendix"><h2>5. Evidence appendix</h2>
<p>SHA-256 of each evidence bundle as stored, per folder, as <code>sha256sum</code> prints it: save a folder's lines to a file and run <code>sha256sum -c FILE</code> in that folder (or in a copy of the results bucket's prefix) to check every bundle.</p>
${model.bundles.length === 0 ? html`<p>No bundle in this period.</p>` : blocks}
</section>`;
}

/**
 * The report's HTML for a model.
 *
 * @example
 * const text = renderEvidenceReport(buildEvidenceReport(input), { sha256Base64 });
 */
export function renderEvidenceReport(model: EvidenceReportModel, deps: RenderReportDeps): string {
  const title = `PathGuard evidence report ${model.period.from?.slice(0, 10) ?? ''}${model.period.to && model.period.to.slice(0, 10) !== model.period.from?.slice(0, 10) ? ` – ${model.period.to.slice(0, 10)}` : ''}`;
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(deps)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<style>${raw(STYLE)}</style></head>
<body${model.bundles.length > BIG_REPORT ? raw(' class="big"') : ''}><header><h1>${title}</h1><p class="meta">Generated ${model.input.generatedAt} from ${model.input.source}. ${model.bundles.length} probe(s).</p>
<nav><a href="#summary">Summary</a><a href="#matrix">Matrix and timeline</a><a href="#paths">Paths</a><a href="#drift">Drift and real traffic</a><a href="#appendix">Evidence appendix</a></nav></header>
<main>${summarySection(model)}${matrixSection(model)}${pathsSection(model)}${driftSection(model)}${appendixSection(model)}</main>
<script>${raw(SCRIPT)}</script>
</body></html>
`;
  return page.value;
}

/** {@link buildEvidenceReport} then {@link renderEvidenceReport}. */
export function evidenceReportHtml(input: EvidenceReportInput, deps: RenderReportDeps): string {
  return renderEvidenceReport(buildEvidenceReport(input), deps);
}
