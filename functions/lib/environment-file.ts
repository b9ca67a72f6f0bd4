import { readFile } from 'node:fs/promises';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';

/**
 * Reads and validates an environment document. Every problem is a UserInputError (exit 2) whose
 * one-line message names the file and the first bad field.
 */
export async function loadEnvironmentFile(path: string): Promise<Environment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UserInputError(
      'ENV_UNREADABLE',
      `${path}: ${(e as { code?: string }).code ?? 'cannot be read'}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserInputError('ENV_INVALID', `${path}: not JSON (${(e as Error).message})`);
  }
  // zod (the schema's validator) loads with the first environment read, not with every command
  // that may take one: `inspect-url` without --env never needs it.
  const { validateEnvironment } = await import('../../shared/env/schema.js');
  const r = validateEnvironment(doc);
  if (!r.ok)
    throw new UserInputError('ENV_INVALID', `${path}: ${r.error.message}`, { issues: r.error.issues });
  return r.value;
}
