import { redactText } from '../endpoints/redact.js';

/**
 * C0 controls, DEL and C1 controls: what a terminal may act on (ESC starts an ANSI sequence, CR
 * and LF forge lines, U+009B is a one-character CSI on terminals that read C1 in UTF-8). Also the
 * line and paragraph separators, which some viewers break lines on.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function escapeOne(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/**
 * Writes every control character of `text` as a JSON-style escape (`\n`, `\u001b`), so text that
 * came from input can neither move the cursor, recolour, clear the screen, nor start a line of
 * its own. The escapes are valid inside a JSON string too, so a JSON line stays a JSON line.
 *
 * @example
 * escapeControlChars('run 1\n2026-01-01 forged \u001b[2J') // 'run 1\\n2026-01-01 forged \\u001b[2J'
 */
export function escapeControlChars(text: string): string {
  if (typeof text !== 'string') return '';
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, escapeOne) : text;
}

/**
 * The one way a message built from input reaches a terminal or a log line: presigned-URL
 * secrets redacted (shared/endpoints/redact.ts), then control characters escaped. Redaction
 * comes first because it reads raw TAB/LF/CR as a URL parser does (they split names).
 *
 * @example
 * io.stderr.write(`${displayText(`line 3: bad value '${raw}'`)}\n`);
 */
export function displayText(text: string): string {
  return escapeControlChars(redactText(text));
}

const HTML_SPECIAL = /[&<>"']/g;
const HAS_HTML_SPECIAL = /[&<>"']/;
const HTML_ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The one way text from input reaches an HTML (or inline SVG) document: {@link displayText}
 * (secrets redacted, control characters escaped), then the five characters HTML gives meaning
 * to written as entities. The result is safe as element text and inside a quoted attribute
 * value of either quote (never unquoted, never as a URL: a `javascript:` value stays text).
 *
 * @example
 * htmlText('"><svg onload=alert(1)>') // '&quot;&gt;&lt;svg onload=alert(1)&gt;'
 */
export function htmlText(text: string): string {
  const t = displayText(text);
  return HAS_HTML_SPECIAL.test(t) ? t.replace(HTML_SPECIAL, (c) => HTML_ENTITY[c]!) : t;
}
