import { UserInputError } from '../../shared/errors.js';

/**
 * An input that could not be read to its end: names the file and what happened. Exit 1. In a
 * module of its own so that readers of byte ranges (worker threads) need not load the whole-input
 * reader and its gzip and stream modules.
 */
export class InputReadError extends UserInputError {
  constructor(name: string, what: string) {
    super('INPUT_UNREADABLE', `${name}: ${what}`, { name }, 1);
  }
}
