/**
 * One flow-log query for every vantage, for sources that read a window whole. The correlator asks
 * one query per vantage (its addresses, ENIs and fetch window): right for sources that filter by
 * them (CloudWatch Logs filter patterns, Logs Insights, Athena), but a source that reads every
 * object of the window (S3 delivery) would read the same objects once per vantage and hand the
 * correlator each record as many times: V vantages cost V x the window's objects, quadratic in V.
 */
import type { FlowRecord } from '../flow-logs/types.js';
import type { FlowQuery } from '../ports/index.js';
import { normalizeIp } from './vantage-facts.js';

/**
 * The union of `queries`: the earliest start to the latest end, every address and every ENI once
 * (sorted). Null when there is no query.
 *
 * @example mergeFlowQueries(correlator.flowQueries()) // one query: read the window's objects once
 */
export function mergeFlowQueries(queries: readonly FlowQuery[]): FlowQuery | null {
  if (queries.length === 0) return null;
  let from = queries[0]!.window.from;
  let to = queries[0]!.window.to;
  const addresses = new Set<string>();
  const enis = new Set<string>();
  for (const q of queries) {
    if (q.window.from < from) from = q.window.from;
    if (q.window.to > to) to = q.window.to;
    for (const a of q.addresses) addresses.add(a);
    for (const e of q.eniIds ?? []) enis.add(e);
  }
  return {
    window: { from, to },
    addresses: [...addresses].sort(),
    ...(enis.size > 0 ? { eniIds: [...enis].sort() } : {}),
  };
}

/** Most raw addresses a {@link flowAddressFilter} remembers before it starts over. */
const MEMO_LIMIT = 65_536;

/**
 * Whether a flow record can match a probe of a query with these `addresses`: one of its addresses (source, destination
 * and the packet-level pair, normalized as the correlator normalizes them) is a query address.
 * EvidenceCorrelator.addFlow tries only the sides whose remote address is one of the record's,
 * and every side's remote is an address of its vantage's query, so a record refused here matches
 * nothing: a source may leave it out of its batches and count it instead
 * (FlowRecordsPassedOver). Dotted IPv4 texts, most of a flow log, are their own normal form and
 * are looked up as they are; other texts are normalized once and remembered. Normalizing every
 * address took 4 µs of CPU per record of a busy VPC's log (a worker spent 2.0 CPU seconds on
 * 250,000 records where parsing alone took 0.9): S3's addresses hardly repeat.
 *
 * @example
 * const mayMatch = flowAddressFilter(merged.addresses);
 * const kept = batch.filter(mayMatch);
 */
export function flowAddressFilter(addresses: readonly string[]): (r: FlowRecord) => boolean {
  const wanted = new Set(addresses.map(normalizeIp));
  const memo = new Map<string, boolean>();
  const hit = (a: string | null | undefined): boolean => {
    if (typeof a !== 'string' || a === '') return false;
    if (wanted.has(a)) return true;
    if (isDottedDigits(a)) return false;
    let known = memo.get(a);
    if (known === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      known = wanted.has(normalizeIp(a));
      memo.set(a, known);
    }
    return known;
  };
  return (r) => hit(r.srcaddr) || hit(r.dstaddr) || hit(r.pktSrcaddr) || hit(r.pktDstaddr);
}

/** Whether `a` is only digits and dots: normalizeIp leaves such a text as it is. */
function isDottedDigits(a: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}
