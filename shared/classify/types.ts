/** The network path a piece of evidence shows. */
export type PathKind =
  | 'gateway-endpoint'
  | 'interface-endpoint'
  | 'vpc-endpoint'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'public'
  | 'unknown'
  | 'not-s3';

export type EvidenceSource = 'flow' | 's3-access' | 'cloudtrail';

/**
 * The classifier's answer for one record. `private` is true for the three endpoint paths, false
 * for `nat-gateway`, `internet-gateway` and `public`, and null otherwise (unknown, not-s3).
 * `rule` is the stable id of the deciding rule (e.g. `FLOW_TRAFFIC_PATH_7`); `reason` one line
 * naming the rule and the facts it used.
 */
export interface PathDecision {
  path: PathKind;
  private: boolean | null;
  rule: string;
  reason: string;
}

export function isPrivatePath(path: PathKind): boolean | null {
  switch (path) {
    case 'gateway-endpoint':
    case 'interface-endpoint':
    case 'vpc-endpoint':
      return true;
    case 'nat-gateway':
    case 'internet-gateway':
    case 'public':
      return false;
    default:
      return null;
  }
}
