/** One CloudTrail S3 data event or network-activity event, flattened. Missing values are `null`. */
export interface CloudTrailRecord {
  eventTime: string | null;
  eventSource: string | null;
  eventName: string | null;
  /** `eventCategory` as logged: `Data`, `NetworkActivity`, ... */
  eventCategory: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  vpcEndpointId: string | null;
  vpcEndpointAccountId: string | null;
  bucketName: string | null;
  key: string | null;
  /** `requestParameters.Host`, else `tlsDetails.clientProvidedHostHeader`. */
  host: string | null;
  authenticationMethod: string | null;
  signatureVersion: string | null;
  requestId: string | null;
  /** `additionalEventData["x-amz-id-2"]` when present. */
  hostId: string | null;
  eventId: string | null;
  userAgent: string | null;
  errorCode: string | null;
}
