import { type FlowFormat, FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { RejectCounter } from '../../shared/text/rejects.js';

/** The records of one call's CloudWatch Logs events (a FilterLogEvents query, an Insights window). */
export interface FlowEventBatch {
  /** Records parsed so far; the caller takes them (and may empty the array). */
  readonly records: FlowRecord[];
  /** Parses one event's message, unless it is empty or its event id was already seen. */
  push(eventId: string | undefined, message: string | undefined): void;
}

/**
 * A parser for one call's flow-log events, shared by FilterLogEvents and Logs Insights. Calls of
 * one query may return the same event twice (overlapping filter patterns, stream prefixes or
 * windows), so `seen` holds the event ids (`eventId`, `@ptr`) across all the calls of a query.
 */
export function flowEventBatch(
  format: FlowFormat,
  source: string,
  rejects: RejectCounter,
  seen: Set<string>,
): FlowEventBatch {
  const records: FlowRecord[] = [];
  const parser = new FlowLogStreamParser({ format, source, rejects, onRecord: (r) => records.push(r) });
  return {
    records,
    push(eventId, message) {
      if (!message) return;
      if (eventId) {
        if (seen.has(eventId)) return;
        seen.add(eventId);
      }
      parser.pushLine(message);
    },
  };
}
