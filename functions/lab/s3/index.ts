/** The lab's S3-compatible endpoint: SigV4-verified requests, S3 errors and AWS-format access logs. */
export { accessLogKeyField, accessLogObjectKey, newHostId, newRequestId } from './access-log.js';
export {
  type ErrorDetails,
  methodNotAllowed,
  noSuchKey,
  notImplemented,
  preconditionFailed,
  type S3Handler,
  type S3Reply,
  type S3Request,
  type S3Resource,
} from './exchange.js';
export { hostWithoutPort, type S3Target, s3TargetOf } from './hosts.js';
export { dispatch, S3_ROUTES, type S3Route, unsupportedSubresource } from './routes.js';
export {
  allowOnlyFromVpcEndpoints,
  type LabBucketConfig,
  type LabBucketPolicy,
  type LabPolicyContext,
  type LabRequestOrigin,
  type LabS3,
  type LabS3Options,
  startLabS3,
} from './server.js';
export {
  type AuthErrorCode,
  type AuthOutcome,
  type AuthType,
  LAB_S3_CREDENTIAL,
  type LabCredential,
  parseRawQuery,
  type SignedRequestParts,
  sigV4Signature,
  uriEncode,
  verifySigV4,
} from './sigv4.js';
