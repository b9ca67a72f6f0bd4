export { configSchema, formatIssuePath, type PathGuardConfig, validateConfig } from './schema.js';
