/**
 * A per-item outcome that never throws: parsers and validators return this instead of raising.
 *
 * @example
 * const r = parseSomething(line);
 * if (r.ok) use(r.value); else rejects.add(lineNo, r.error);
 */
export type Result<T, E = ParseError> = { ok: true; value: T } | { ok: false; error: E };

/** Coded reasons a single input line or record is rejected. */
export type RejectCode =
  | 'WRONG_FIELD_COUNT'
  | 'BAD_NUMBER'
  | 'BAD_VALUE'
  | 'BAD_ADDRESS'
  | 'OUT_OF_RANGE'
  | 'LINE_TOO_LONG'
  | 'BAD_TIME'
  | 'BAD_JSON'
  | 'BAD_QUOTING'
  | 'BAD_ENCODING'
  | 'BAD_FORMAT'
  | 'NOT_A_RECORD'
  | 'TOO_DEEP';

/** Why one line or record was rejected. `field` names the offending field when there is one. */
export interface ParseError {
  readonly code: RejectCode;
  readonly message: string;
  readonly field?: string;
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

export function parseError(code: RejectCode, message: string, field?: string): ParseError {
  return field === undefined ? { code, message } : { code, message, field };
}
