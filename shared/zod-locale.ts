/**
 * The schemas use `zod/mini`, the tree-shakable form of zod: the classic API gives every schema
 * object dozens of methods as it is built, which the Lambda functions paid at each cold start.
 * zod/mini leaves issue messages to a locale it does not load itself (a message would read
 * "Invalid input"); every schema module imports this one, so messages read as the classic API's
 * ("Invalid input: expected string, received number").
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
