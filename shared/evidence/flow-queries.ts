/**
 * One flow-log query for every vantage, for sources that read a window whole. The correlator asks
 * one query per vantage (its addresses, ENIs and fetch window): right for sources that filter by
 * them (CloudWatch Logs filter patterns, Logs Insights, Athena), but a source that reads every
 * object of the window (S3 delivery) would read the same objects once per vantage and hand the
 * correlator each record as many times: V vantages cost V x the window's objects, quadratic in V.
 */
import type { FlowQuery } from '../ports/index.js';

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
