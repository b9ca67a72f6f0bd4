import { fail, ok, parseError, type Result } from '../result.js';
import { type FlowFieldSpec, fieldSpec, isKnownFlowField, V2_FIELD_NAMES } from './fields.js';

/** The ordered fields of a flow log's records. */
export interface FlowFormat {
  readonly fields: readonly FlowFieldSpec[];
  /** The AWS `${field} …` spelling, for display and for writing logs. */
  readonly spec: string;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** Most distinct formats {@link flowFormatOf} remembers before it starts over. */
const FORMAT_MEMO_LIMIT = 256;
const formats = new Map<string, FlowFormat>();

/**
 * Builds a format from AWS field names in order. The same names give the same (immutable) object,
 * so what is compiled once per format (the fast line check, the NDJSON renderer, the parsers) is
 * compiled once per distinct format, not once per file header: S3 delivers a header in every
 * object, and 1,000 hourly files would otherwise compile and warm up 1,000 identical checks.
 * Bounded, so a file of ever-new header lines cannot grow it.
 */
export function flowFormatOf(names: readonly string[]): FlowFormat {
  const spec = names.map((n) => `\${${n}}`).join(' ');
  let f = formats.get(spec);
  if (f === undefined) {
    if (formats.size >= FORMAT_MEMO_LIMIT) formats.clear();
    f = Object.freeze({ fields: Object.freeze(names.map(fieldSpec)), spec });
    formats.set(spec, f);
  }
  return f;
}

/** The default format: the 14 version-2 fields ("You cannot customize or change the default format"). */
export const DEFAULT_FLOW_FORMAT: FlowFormat = flowFormatOf(V2_FIELD_NAMES);

/**
 * Parses a format given as the AWS `${version} ${srcaddr} …` syntax or as plain space-separated
 * names (`version srcaddr …`, the header line of S3-delivered files). Unknown names are kept.
 *
 * @example
 * parseFlowFormat('${version} ${pkt-srcaddr} ${traffic-path}')
 */
export function parseFlowFormat(spec: string): Result<FlowFormat> {
  const tokens = spec.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return fail(parseError('BAD_FORMAT', 'empty flow-log format'));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const t of tokens) {
    const m = /^\$\{([^}]*)\}$/.exec(t);
    const name = m ? m[1]!.trim() : t;
    if (!NAME.test(name))
      return fail(parseError('BAD_FORMAT', `not a flow-log field name: '${t.slice(0, 60)}'`));
    if (seen.has(name)) return fail(parseError('BAD_FORMAT', `field '${name}' appears twice`));
    seen.add(name);
    names.push(name);
  }
  return ok(flowFormatOf(names));
}

/**
 * True when a line is a header of field names (S3-delivered text files start with one), not a
 * record: every token is a field name and most are names AWS defines. A record always carries
 * values such as numbers, addresses or `eni-…` ids that are not field names.
 */
export function looksLikeFlowHeader(line: string): boolean {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '') return false;
  let known = 0;
  for (const t of tokens) {
    if (!NAME.test(t)) return false;
    if (isKnownFlowField(t)) known++;
  }
  return known * 2 >= tokens.length && known > 0;
}
