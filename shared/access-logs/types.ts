/**
 * One S3 server access log record, fields in AWS order. `time` is ISO 8601 UTC; numeric fields are
 * numbers; quotes are removed; `-` and `"-"` are `null`. Fields after `aclRequired` that AWS adds
 * over time are kept, in order, in `extra`. Records that end early have the missing fields `null`.
 */
export interface AccessLogRecord {
  bucketOwner: string | null;
  bucket: string | null;
  time: string | null;
  remoteIp: string | null;
  requester: string | null;
  requestId: string | null;
  operation: string | null;
  key: string | null;
  requestUri: string | null;
  httpStatus: number | null;
  errorCode: string | null;
  bytesSent: number | null;
  objectSize: number | null;
  totalTime: number | null;
  turnAroundTime: number | null;
  referer: string | null;
  userAgent: string | null;
  versionId: string | null;
  hostId: string | null;
  signatureVersion: string | null;
  cipherSuite: string | null;
  authenticationType: string | null;
  hostHeader: string | null;
  tlsVersion: string | null;
  accessPointArn: string | null;
  aclRequired: string | null;
  extra: string[];
}
