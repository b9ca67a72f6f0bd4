import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandVariadic } from '../../functions/cli/main.js';

const options = {
  flow: { type: 'string', multiple: true },
  access: { type: 'string', multiple: true },
  env: { type: 'string' },
  summary: { type: 'boolean' },
} as const;
const parse = (args: string[]) =>
  parseArgs({
    args: expandVariadic(args, ['flow', 'access']),
    options,
    allowPositionals: true,
    strict: true,
  });

describe('variadic options', () => {
  it('takes the words after the option up to the next option', () => {
    const r = parse(['--flow', 'a.log', 'b.log.gz', '--env', 'env.json', '--access', 'x', 'y', '--summary']);
    expect(r.values).toEqual({
      flow: ['a.log', 'b.log.gz'],
      env: 'env.json',
      access: ['x', 'y'],
      summary: true,
    });
    expect(r.positionals).toEqual([]);
  });

  it('keeps repeated flags, the --flow=a form, - (standard input) and -- as they were', () => {
    expect(parse(['--flow', 'a', '--flow', 'b']).values.flow).toEqual(['a', 'b']);
    expect(parse(['--flow=a', 'b']).values.flow).toEqual(['a', 'b']);
    expect(parse(['--flow', '-', 'b']).values.flow).toEqual(['-', 'b']);
    const r = parse(['--flow', 'a', '--', 'b']);
    expect(r.values.flow).toEqual(['a']);
    expect(r.positionals).toEqual(['b']);
    // A word after a non-variadic option's value is a positional, as before.
    expect(parse(['--env', 'e.json', 'stray']).positionals).toEqual(['stray']);
    // An option with no value left is parseArgs' own usage error.
    expect(() => parse(['--flow'])).toThrow(/argument missing/);
    expect(expandVariadic(['--flow', 'a', 'b'])).toEqual(['--flow', 'a', 'b']);
  });

  it('--flow F1 … Fn is --flow F1 … --flow Fn, for any files and any other options around', () => {
    const file = fc.stringMatching(/^[A-Za-z0-9_./*][A-Za-z0-9_./*-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.array(file, { minLength: 1, maxLength: 8 }),
        fc.array(file, { maxLength: 4 }),
        fc.option(file, { nil: undefined }),
        (flows, accesses, env) => {
          const envArgs = env ? ['--env', env] : [];
          const spread = parse([
            '--flow',
            ...flows,
            ...envArgs,
            ...(accesses.length ? ['--access', ...accesses] : []),
          ]);
          const repeated = parseArgs({
            args: [
              ...flows.flatMap((f) => ['--flow', f]),
              ...envArgs,
              ...accesses.flatMap((a) => ['--access', a]),
            ],
            options,
            allowPositionals: true,
            strict: true,
          });
          expect(spread.values).toEqual(repeated.values);
          expect(spread.positionals).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
