/** S3 endpoints: hostname reading, presigned-URL inspection and the product-wide redaction. */
export {
  type AddressingStyle,
  type BucketAndKey,
  type EndpointKind,
  isAccessPointAlias,
  isRegionCode,
  type Partition,
  parseS3Hostname,
  readBucketAndKey,
  type S3Hostname,
  type S3Service,
  type VpceScope,
} from './hostname.js';
export {
  type CredentialKind,
  DEFAULT_LONG_EXPIRY_SECONDS,
  type EndpointDetails,
  type ExpectedPath,
  type InspectOptions,
  inspectUrl,
  isAtLeast,
  MAX_SIGV4_EXPIRY_SECONDS,
  type Severity,
  type SignatureReading,
  type SignatureVersion,
  type UrlFinding,
  type UrlFindingCode,
  type UrlInspection,
} from './inspect.js';
export {
  type PostPolicy,
  type PostPolicyCondition,
  type PostPolicyError,
  type PresignedPostForm,
  postFormField,
  readPostForm,
  readPostPolicy,
  redactPostForm,
} from './post-form.js';
export { REDACTED, readAsUrl, redactText, redactUrl } from './redact.js';
