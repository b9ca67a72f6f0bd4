/**
 * Every VPC Flow Log field AWS defines, with the version that introduced it and whether AWS types
 * it as an integer (Parquet INT_32/INT_64), which the parser turns into a JSON number.
 * Sources: the AWS VPC user guide field table (flow-logs.md / flow-log-records.html) for v2–v8,
 * and the VPC Encryption Controls page for `encryption-status`. AWS publishes no Parquet type for
 * `encryption-status` in those sources, so its values (`0`–`3`) stay strings until it does.
 */
export interface FlowFieldSpec {
  /** AWS name, e.g. `pkt-srcaddr`. */
  readonly name: string;
  /** Output key, e.g. `pktSrcaddr`. */
  readonly key: string;
  /** Flow-log version that introduced the field; null when unknown to us. */
  readonly version: number | null;
  readonly integer: boolean;
  /**
   * False for a name seen only in third-party format strings, not in the AWS field table
   * (`resource-id`), and for names we do not know at all.
   */
  readonly verified: boolean;
}

const INTEGER = new Set([
  'version',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'tcp-flags',
  'traffic-path',
]);

/** Field names by the version that introduced them; version 2 is the default format, in order. */
export const FIELDS_BY_VERSION: readonly [number, readonly string[]][] = [
  [
    2,
    [
      'version',
      'account-id',
      'interface-id',
      'srcaddr',
      'dstaddr',
      'srcport',
      'dstport',
      'protocol',
      'packets',
      'bytes',
      'start',
      'end',
      'action',
      'log-status',
    ],
  ],
  [3, ['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr']],
  [4, ['region', 'az-id', 'sublocation-type', 'sublocation-id']],
  [5, ['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path']],
  [
    7,
    [
      'ecs-cluster-arn',
      'ecs-cluster-name',
      'ecs-container-instance-arn',
      'ecs-container-instance-id',
      'ecs-container-id',
      'ecs-second-container-id',
      'ecs-service-name',
      'ecs-task-definition-arn',
      'ecs-task-arn',
      'ecs-task-id',
    ],
  ],
  [8, ['reject-reason']],
];

/** The 14 fields of the default (version 2) format, in their fixed order. */
export const V2_FIELD_NAMES: readonly string[] = FIELDS_BY_VERSION[0]![1];

/** Newer fields whose version number we could not verify against the AWS field table. */
const UNVERSIONED = ['encryption-status', 'resource-id'];
/** Names that appear in third-party format strings only; kept, but not confirmed by AWS text. */
const UNVERIFIED = new Set(['resource-id']);

/** `pkt-srcaddr` → `pktSrcaddr`: hyphen removed, next letter upper-cased. */
export function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function spec(name: string, version: number | null): FlowFieldSpec {
  return {
    name,
    key: toCamelCase(name),
    version,
    integer: INTEGER.has(name),
    verified: !UNVERIFIED.has(name),
  };
}

/** All known fields by AWS name. */
export const FLOW_FIELDS: ReadonlyMap<string, FlowFieldSpec> = new Map([
  ...FIELDS_BY_VERSION.flatMap(([v, names]) => names.map((n) => [n, spec(n, v)] as const)),
  ...UNVERSIONED.map((n) => [n, spec(n, null)] as const),
]);

/** The field spec for a name; unknown names are kept as string fields. */
export function fieldSpec(name: string): FlowFieldSpec {
  return (
    FLOW_FIELDS.get(name) ?? { name, key: toCamelCase(name), version: null, integer: false, verified: false }
  );
}

/** True for a field name in the table above (AWS-defined, or `resource-id`). */
export function isKnownFlowField(name: string): boolean {
  return FLOW_FIELDS.has(name);
}
