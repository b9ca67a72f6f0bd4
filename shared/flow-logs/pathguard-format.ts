import { V2_FIELD_NAMES } from './fields.js';
import { flowFormatOf } from './format.js';

/**
 * The custom format of the flow logs PathGuard creates (the CDK stack) and writes (the lab): the
 * default fields plus those path classification reads (`subnet-id`, `pkt-srcaddr`, `pkt-dstaddr`,
 * `pkt-dst-aws-service`, `flow-direction`, `traffic-path`).
 */
export const PATHGUARD_FLOW_FORMAT = flowFormatOf([
  ...V2_FIELD_NAMES,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
]);
