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

/**
 * A record with every field `null` and no `extra`: the start for records built field by field
 * (the CloudWatch Logs JSON form, a group a query engine counted). A new object each call, so a
 * caller may fill it in and push to `extra`.
 *
 * @example
 * const r: AccessLogRecord = { ...emptyAccessLogRecord(), bucket: 'data', remoteIp: '10.0.1.5' };
 */
export function emptyAccessLogRecord(): AccessLogRecord {
  return {
    bucketOwner: null,
    bucket: null,
    time: null,
    remoteIp: null,
    requester: null,
    requestId: null,
    operation: null,
    key: null,
    requestUri: null,
    httpStatus: null,
    errorCode: null,
    bytesSent: null,
    objectSize: null,
    totalTime: null,
    turnAroundTime: null,
    referer: null,
    userAgent: null,
    versionId: null,
    hostId: null,
    signatureVersion: null,
    cipherSuite: null,
    authenticationType: null,
    hostHeader: null,
    tlsVersion: null,
    accessPointArn: null,
    aclRequired: null,
    extra: [],
  };
}
