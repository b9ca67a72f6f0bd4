/** The lab's S3-compatible endpoint: SigV4-verified requests, S3 errors and AWS-format access logs. */
export { accessLogKeyField, accessLogObjectKey, newHostId, newRequestId } from './access-log.js';
export { hostWithoutPort, type S3Target, s3TargetOf } from './hosts.js';
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
