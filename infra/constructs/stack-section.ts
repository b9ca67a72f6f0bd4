import { createHash } from 'node:crypto';
import type { CfnElement } from 'aws-cdk-lib';
import { Construct } from 'constructs';

const SECTION = Symbol.for('pathguard.StackSection');

/**
 * A section of the PathGuard stack (results store, probe functions, analyzer…): a construct that
 * groups resources in the tree without entering their logical ids, so the resources of a stack
 * deployed before the sections existed keep their ids and CloudFormation replaces nothing. The
 * stack allocates ids through {@link logicalIdOutsideSections}.
 */
export abstract class StackSection extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, SECTION, { value: true });
  }

  static isStackSection(x: unknown): x is StackSection {
    return typeof x === 'object' && x !== null && SECTION in x;
  }
}

/**
 * CDK's logical id of a path (aws-cdk-lib core/lib/private/uniqueid.ts `makeUniqueId`, not
 * exported): components joined without non-alphanumerics, `Default` dropped, `Resource` and
 * repeats hidden from the human part, then the first 8 hex digits of the MD5 of the path. A
 * one-component path is its own id.
 */
function makeUniqueId(components: readonly string[]): string {
  const path = components.filter((c) => c !== 'Default');
  const alnum = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (path.length === 1 && alnum(path[0]!).length <= 255) return alnum(path[0]!);
  const hash = createHash('md5').update(path.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of path) if (human.length === 0 || !human[human.length - 1]!.endsWith(c)) human.push(c);
  return (
    human
      .filter((c) => c !== 'Resource')
      .map(alnum)
      .join('')
      .slice(0, 240) + hash
  );
}

/**
 * The logical id of an element as if no {@link StackSection} stood between it and its stack, or
 * undefined when none does (the stack's own allocation then applies unchanged).
 */
export function logicalIdOutsideSections(element: CfnElement): string | undefined {
  const scopes = element.node.scopes;
  const below = scopes.slice(scopes.indexOf(element.stack) + 1);
  const isSection = (s: unknown): boolean => StackSection.isStackSection(s);
  if (!below.some(isSection)) return undefined;
  return makeUniqueId(below.filter((s) => !isSection(s)).map((s) => s.node.id));
}
