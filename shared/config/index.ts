/**
 * The one validated configuration. Its digest (for evidence bundles) is `configDigest(cfg, sha256)`
 * in shared/evidence/bundle.ts: SHA-256 of the canonical JSON, with the hash function passed in by
 * functions/ (node:crypto), so this pure module needs no hashing code of its own.
 */
export {
  bucketName,
  configSchema,
  formatIssuePath,
  MRAP_ARN,
  type PathGuardConfig,
  validateConfig,
} from './schema.js';
