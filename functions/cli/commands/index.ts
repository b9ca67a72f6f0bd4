import type { CommandSpec } from '../command.js';

/**
 * Every CLI command, in the order `pathguard --help` lists them. Each lives in its own file in this
 * folder; add new ones here.
 */
export const commands: readonly CommandSpec[] = [];
