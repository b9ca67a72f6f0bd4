import { isPrivatePath, type PathDecision, type PathKind } from './types.js';

/** A decision with `private` derived from the path, so the two can never disagree. */
export function decision(path: PathKind, rule: string, reason: string): PathDecision {
  return { path, private: isPrivatePath(path), rule, reason };
}

/** A decision shared by every record it applies to (its reason has no per-record facts). */
export function constantDecision(path: PathKind, rule: string, reason: string): PathDecision {
  return Object.freeze(decision(path, rule, reason));
}

/** Untrusted text in a reason: one line, bounded. */
export function quote(text: string, max = 80): string {
  const oneLine = text.replace(/[\r\n\t]/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
