import fc from 'fast-check';
import { FLOW_FIELDS } from '../../shared/flow-logs/index.js';

/** A string value with no blank and not `-`: what any text field can carry. */
export const flowToken = fc.stringMatching(/^[A-Za-z0-9:._/-]{1,24}$/).filter((s) => s !== '-');
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().filter((s) => !s.includes('%'));

/** A value that keeps its field's meaning rule (an address, a port in range, an AWS action…). */
export function meaningfulFlowValue(name: string): fc.Arbitrary<string | number> {
  const f = FLOW_FIELDS.get(name)!;
  switch (f.rule) {
    case 'FLOW_ADDRESS':
      return fc.oneof(ipv4, ipv6);
    case 'FLOW_PORT':
      return fc.nat({ max: 65535 });
    case 'FLOW_PROTOCOL':
      return fc.nat({ max: 255 });
    case 'FLOW_ACTION':
      return fc.constantFrom('ACCEPT', 'REJECT');
    case 'FLOW_LOG_STATUS':
      return fc.constantFrom('OK', 'NODATA', 'SKIPDATA');
    default:
      return f.integer ? fc.nat({ max: 999_999_999_999_999 }) : flowToken;
  }
}

/** `start` not after `end` (FLOW_START_END), by swapping them when both are there. */
export function orderedStartEnd<T extends string | number | null>(
  fields: readonly string[],
  values: T[],
): T[] {
  const s = fields.indexOf('start');
  const e = fields.indexOf('end');
  const out = [...values];
  if (s >= 0 && e >= 0 && out[s] !== null && out[e] !== null && (out[s] as number) > (out[e] as number)) {
    [out[s], out[e]] = [out[e]!, out[s]!];
  }
  return out;
}
