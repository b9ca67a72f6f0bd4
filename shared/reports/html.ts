/**
 * HTML built from templates in which every interpolated value is escaped unless it is already
 * {@link SafeHtml}: escaping happens here and only here (through shared/text/escape.ts), so no
 * call site can forget it. Every string in a report can come from logs an attacker shapes (object
 * keys, user agents, host names), and a report is opened by the people with the most access.
 */
import { htmlText } from '../text/escape.js';

/** Markup that is already safe: produced by {@link html} or {@link raw} (constants only). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A value {@link html} can take: text (escaped), numbers, markup, lists of them; nullish or false: nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function part(v: HtmlValue, out: string[]): void {
  if (v === null || v === undefined || v === false) return;
  if (v instanceof SafeHtml) out.push(v.value);
  else if (Array.isArray(v)) for (const x of v) part(x, out);
  else if (typeof v === 'number') out.push(Number.isFinite(v) ? String(v) : '');
  else out.push(htmlText(String(v)));
}

/**
 * Tagged template: the literal parts are markup, every `${value}` is text (escaped) unless it is
 * {@link SafeHtml}. Attribute values must be written quoted (`class="${x}"`): quotes are escaped.
 *
 * @example
 * html`<td title="${ua}">${key}</td>` // a user agent '"><script>' stays text
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  const out: string[] = [strings[0]!];
  for (let i = 0; i < values.length; i++) {
    part(values[i]!, out);
    out.push(strings[i + 1]!);
  }
  return new SafeHtml(out.join(''));
}

/** Constant markup (never input): a stylesheet, a script, a fixed fragment. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Joins parts into one piece of markup (text parts escaped). */
export function join(parts: readonly HtmlValue[], separator = ''): SafeHtml {
  const out: string[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(separator);
    part(p, out);
  });
  return new SafeHtml(out.join(''));
}

/**
 * A fragment id from any text: letters, digits, `_` and `-` kept, anything else `_`, prefixed so
 * it never starts with a digit. Ids and `href="#…"` are built only through this, so a probe id
 * or key holding `javascript:` or quotes can never become a link of another kind.
 */
export function anchorId(prefix: string, text: string): string {
  return `${prefix}-${text.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Characters {@link svgDataUrl} may leave as they are: harmless in a data URL and in a quoted attribute. */
const KEEP_IN_URL = /%(20|2C|2F|3A|3B|3D)/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A `data:image/svg+xml` URL of a drawing made by {@link html}: percent-encoded, so the result
 * holds only letters, digits and `-_.!~*()%` besides the space and `,/:;=`, none of which can end
 * an attribute or start markup. Text in the drawing was escaped when the drawing was built; an SVG
 * opened as an image never runs script nor fetches anything.
 *
 * @example
 * html`<image href="${svgDataUrl(html`<svg xmlns="http://www.w3.org/2000/svg">…</svg>`)}"/>`
 */
export function svgDataUrl(svg: SafeHtml): SafeHtml {
  // A lone surrogate (text cut inside a pair) has no UTF-8 form: U+FFFD, as a UTF-8 writer does.
  const encoded = encodeURIComponent(svg.value.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/'/g, '%27')
    .replace(KEEP_IN_URL, (m) => decodeURIComponent(m));
  return new SafeHtml(`data:image/svg+xml,${encoded}`);
}
