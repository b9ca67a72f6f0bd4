import { IpAddress, parseIpInto } from '../net/ip.js';
import { type ParseError, parseError } from '../result.js';
import { FLOW_RULE_MAX, FLOW_RULE_VALUES, type FlowValueRule } from './fields.js';

/**
 * The meaning rules of flow-log values (FlowValueRule in ./fields.ts), in the two forms the parser
 * needs: on a string span for the general path, which reports why, and on a byte span for the
 * compiled fast path (./parser.ts generates the dotted-quad and enumerated-value checks inline and
 * calls {@link isIpBytes} for the rest), which only says yes or no: a no sends the line to the
 * general path for its reason. Both accept exactly the same values, and a property test holds the
 * two paths equal. Rows read from Parquet (./parquet-values.ts) go through the string form, so a
 * row and the text line that carries it are rejected with the same code and message.
 */

const DASH = 0x2d;
const ADDRESS = new IpAddress();

/** Why a string value breaks its field's rule, or null when it keeps it (`-` always does). */
export function checkFlowValue(
  rule: FlowValueRule,
  field: string,
  s: string,
  a: number,
  e: number,
): ParseError | null {
  if (e - a === 1 && s.charCodeAt(a) === DASH) return null;
  switch (rule) {
    case 'FLOW_ADDRESS':
      return ADDRESS.parse(s, a, e)
        ? null
        : parseError(
            'BAD_ADDRESS',
            `${field}: not an IP address (FLOW_ADDRESS): '${s.slice(a, Math.min(e, a + 40))}'`,
            field,
          );
    case 'FLOW_ACTION':
    case 'FLOW_LOG_STATUS': {
      const v = s.slice(a, e);
      const allowed = FLOW_RULE_VALUES[rule]!;
      return allowed.includes(v)
        ? null
        : parseError(
            'BAD_VALUE',
            `${field}: '${v.slice(0, 40)}' is not one of ${allowed.join(', ')} (${rule})`,
            field,
          );
    }
    default:
      return null;
  }
}

/** Why an integer value breaks its field's rule, or null. */
export function checkFlowInteger(rule: FlowValueRule, field: string, v: number | null): ParseError | null {
  const max = FLOW_RULE_MAX[rule];
  if (v === null || max === undefined || v <= max) return null;
  return parseError('OUT_OF_RANGE', `${field}: ${v} is above ${max} (${rule})`, field);
}

/** Why `start` and `end` contradict each other (FLOW_START_END), or null. */
export function checkFlowStartEnd(start: number | null, end: number | null): ParseError | null {
  if (start === null || end === null || start <= end) return null;
  return parseError('BAD_TIME', `start ${start} is after end ${end} (FLOW_START_END)`, 'start');
}

/**
 * Whether `b[a, e)` is an IP address, by the rules of shared/net/ip.ts. A dotted quad (every
 * flow-log address of an IPv4 VPC) is checked here on the bytes, with no string made; anything
 * else is decoded and given to the same parser as the general path.
 */
export function isIpBytes(b: Uint8Array, a: number, e: number): boolean {
  let part = 0;
  let digits = 0;
  let dots = 0;
  let i = a;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return false;
      part = part * 10 + (c - 0x30);
      if (part > 255) return false;
      digits++;
    } else if (c === 0x2e) {
      if (digits === 0 || dots === 3) return false;
      part = 0;
      digits = 0;
      dots++;
    } else break;
  }
  if (i === e) return digits > 0 && dots === 3;
  // Not a plain dotted quad: IPv6, or not an address. Only ASCII can be an address.
  let s = '';
  for (let j = a; j < e; j++) {
    const c = b[j]!;
    if (c > 0x7e) return false;
    s += String.fromCharCode(c);
  }
  return parseIpInto(s, ADDRESS) !== 0;
}
