/**
 * One VPC Flow Log record as parsed: keys are the AWS field names in camelCase (`pkt-srcaddr` →
 * `pktSrcaddr`), integer fields are numbers, everything else a string, `-` is `null`. Fields the
 * record's format does not carry are absent (`undefined`); unknown field names are kept as strings.
 */
export interface FlowRecord {
  version?: number | null;
  accountId?: string | null;
  interfaceId?: string | null;
  srcaddr?: string | null;
  dstaddr?: string | null;
  srcport?: number | null;
  dstport?: number | null;
  protocol?: number | null;
  packets?: number | null;
  bytes?: number | null;
  start?: number | null;
  end?: number | null;
  action?: string | null;
  logStatus?: string | null;
  vpcId?: string | null;
  subnetId?: string | null;
  instanceId?: string | null;
  tcpFlags?: number | null;
  type?: string | null;
  pktSrcaddr?: string | null;
  pktDstaddr?: string | null;
  region?: string | null;
  azId?: string | null;
  sublocationType?: string | null;
  sublocationId?: string | null;
  pktSrcAwsService?: string | null;
  pktDstAwsService?: string | null;
  flowDirection?: string | null;
  trafficPath?: number | null;
  [field: string]: string | number | null | undefined;
}
