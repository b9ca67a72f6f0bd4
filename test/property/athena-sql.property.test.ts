import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessAuditSql, accessProbeSql } from '../../shared/athena/access-table.js';
import { flowSelectSql } from '../../shared/athena/flow-table.js';
import { ddlString, identifier, queryString, SqlValueError } from '../../shared/athena/sql.js';
import { DEFAULT_FLOW_FORMAT } from '../../shared/flow-logs/index.js';

/**
 * Reads one Trino string literal at `at` the way Trino's lexer does (`'…'`, a doubled quote is a
 * quote, no backslash escapes) and returns the offset just after it and the text it holds.
 */
function readLiteral(sql: string, at: number): { end: number; text: string } {
  if (sql[at] !== "'") throw new Error(`no literal at ${at}`);
  let text = '';
  let i = at + 1;
  for (;;) {
    if (i >= sql.length) throw new Error('unterminated literal');
    if (sql[i] === "'") {
      if (sql[i + 1] === "'") {
        text += "'";
        i += 2;
        continue;
      }
      return { end: i + 1, text };
    }
    text += sql[i];
    i++;
  }
}

/** Any text but NUL (refused), with quotes, comment and statement syntax over-represented. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom("'", "''", '"', '\\', ';', '--', '/*', '*/', ')', '(', ' OR 1=1', '\n', '`', '$', '%'),
    fc.string({ minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000'),
  ),
  maxLength: 40,
});

const spec = {
  database: 'pathguard',
  table: 'access_logs',
  bucket: 'pathguard-logs',
  prefix: 'access-logs/',
  layout: 'partitioned' as const,
};
const day = new Date('2026-12-03T00:00:00Z');

describe('SQL literals (property)', () => {
  it('a query literal is exactly one literal holding the value, whatever the value', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        const lit = queryString(v);
        const r = readLiteral(lit, 0);
        expect(r.end).toBe(lit.length);
        expect(r.text).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('a hostile value changes nothing in a generated query outside its own literal', () => {
    const benign = 'x';
    const at = (sql: string) => sql.indexOf(`starts_with("key", `) + `starts_with("key", `.length;
    fc.assert(
      fc.property(hostile, hostile, (keyPrefix, bucket) => {
        const sel = { accountId: '111122223333', region: 'eu-west-1', buckets: [bucket], from: day, to: day };
        const sql = accessProbeSql(spec, { ...sel, keyPrefix });
        const ref = accessProbeSql(spec, { ...sel, buckets: [benign], keyPrefix: benign });
        // Replace every literal by a placeholder: the statement's shape must equal the benign one's.
        expect(shape(sql)).toBe(shape(ref));
        expect(readLiteral(sql, at(sql)).text).toBe(keyPrefix);
        const audit = accessAuditSql(spec, {
          ...sel,
          excludeKeyPrefix: keyPrefix,
          requestsFrom: day,
          requestsTo: day,
        });
        expect(shape(audit)).toBe(
          shape(
            accessAuditSql(spec, {
              ...sel,
              buckets: [benign],
              excludeKeyPrefix: benign,
              requestsFrom: day,
              requestsTo: day,
            }),
          ),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('addresses and ENIs of any text stay literals in the flow query', () => {
    const flowSpec = {
      database: 'pathguard',
      table: 'flow_logs',
      bucket: 'logs-b',
      prefix: '',
      layout: 'plain' as const,
      hourly: false,
      fileFormat: 'text' as const,
      format: DEFAULT_FLOW_FORMAT,
    };
    fc.assert(
      fc.property(
        hostile.filter((s) => !s.includes(':')),
        hostile,
        (a, e) => {
          const q = (addr: string, eni: string) =>
            flowSelectSql(flowSpec, {
              accounts: ['111122223333'],
              region: 'eu-west-1',
              query: { window: { from: day, to: day }, addresses: [addr], eniIds: [eni] },
            });
          expect(shape(q(a, e))).toBe(shape(q('x', 'y')));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('identifiers and DDL literals outside their allow-lists are refused, never quoted', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        const okId = /^[a-z_][a-z0-9_]{0,127}$/.test(v);
        if (okId) expect(identifier(v)).toBe(v);
        else expect(() => identifier(v)).toThrow(SqlValueError);
        let ddl: string | null = null;
        try {
          ddl = ddlString(v, 'v');
        } catch (e) {
          expect(e).toBeInstanceOf(SqlValueError);
        }
        if (ddl !== null) expect(ddl.slice(1, -1)).not.toMatch(/['"\\`\n]/);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The statement with each string literal replaced by `?`: its structure, literals aside. */
function shape(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    if (sql[i] === "'") {
      i = readLiteral(sql, i).end;
      out += '?';
    } else out += sql[i++];
  }
  return out;
}
