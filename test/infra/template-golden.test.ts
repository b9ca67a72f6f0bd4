// The synthesized templates of the default config and every example, diffed against golden files
// made from the stack before it was split into constructs (infra/constructs/): logical ids and
// properties unchanged, so a deployed stack sees no replacement. A deliberate template change
// regenerates them: PATHGUARD_UPDATE_GOLDEN=1 npx vitest run test/infra/template-golden.test.ts
// (review the golden diff as the change it is).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANONICAL_TEMPLATES, canonicalTemplate, goldenName } from './template-golden.js';
import { ROOT } from './template-model.js';

const GOLDEN = join(ROOT, 'test/fixtures/templates');
const update = process.env.PATHGUARD_UPDATE_GOLDEN === '1';

type Resources = Record<string, unknown>;

/** Logical ids added, removed or changed between two templates: what a failure reports. */
function resourceDiff(want: string, got: string): string[] {
  const a = (JSON.parse(want) as { Resources: Resources }).Resources;
  const b = (JSON.parse(got) as { Resources: Resources }).Resources;
  const out: string[] = [];
  for (const id of Object.keys(a)) {
    if (!(id in b)) out.push(`- ${id}`);
    else if (JSON.stringify(a[id]) !== JSON.stringify(b[id])) out.push(`~ ${id}`);
  }
  for (const id of Object.keys(b)) if (!(id in a)) out.push(`+ ${id}`);
  return out;
}

describe('synthesized templates against the golden files', () => {
  it.each(CANONICAL_TEMPLATES.map((t) => [goldenName(t), t] as const))(
    '%s is byte-for-byte the golden template',
    (name, t) => {
      const got = canonicalTemplate(t);
      const file = join(GOLDEN, name);
      if (update) writeFileSync(file, got);
      const want = readFileSync(file, 'utf8');
      if (got !== want) expect(resourceDiff(want, got)).toEqual([]);
      expect(got === want).toBe(true);
    },
    60_000,
  );
});
