/**
 * Every VPC Flow Log and Transit Gateway Flow Log field AWS defines, with the version that
 * introduced it and whether AWS types it as an integer (Parquet INT_32/INT_64), which the parser
 * turns into a JSON number. Sources: the AWS VPC user guide field table (flow-logs.md /
 * flow-log-records.html) for v2–v8 (aws-facts §1.3: every v7 and v8 field is a STRING), the
 * Transit Gateway guide's record table (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records)
 * for the version-6 fields of transit gateway flow logs, whose four `packets-lost-*` counters are
 * INT_64, and the VPC Encryption Controls page for `encryption-status`. AWS publishes no Parquet
 * type for `encryption-status` in those sources, so its values (`0`–`3`) stay strings until it
 * does; so do names we do not know (a field AWS adds later is kept, as text).
 */
export interface FlowFieldSpec {
  /** AWS name, e.g. `pkt-srcaddr`. */
  readonly name: string;
  /** Output key, e.g. `pktSrcaddr`. */
  readonly key: string;
  /** Flow-log version that introduced the field; null when unknown to us. */
  readonly version: number | null;
  readonly integer: boolean;
  /** The meaning rule the value must satisfy beyond its type (see FLOW_VALUE_RULES); null for none. */
  readonly rule: FlowValueRule | null;
  /**
   * False for a name seen only in third-party format strings, not in the AWS field table
   * (`resource-id`), and for names we do not know at all.
   */
  readonly verified: boolean;
}

/** The fields AWS types as integers (Parquet INT_32/INT_64), by the version that introduced them. */
const INTEGER_BY_VERSION: Readonly<Record<number, readonly string[]>> = {
  2: ['version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end'],
  3: ['tcp-flags'],
  5: ['traffic-path'],
  6: [
    'packets-lost-no-route',
    'packets-lost-blackhole',
    'packets-lost-mtu-exceeded',
    'packets-lost-ttl-expired',
  ],
};
const INTEGER: ReadonlySet<string> = new Set(Object.values(INTEGER_BY_VERSION).flat());

/**
 * What a value must mean, beyond being a string or an integer: a wrong `--format` with the right
 * field count otherwise parses without a complaint (an account id read as `srcaddr`, `OK` read as
 * `action`). Each rule has a stable id; the reject names it and the field.
 *
 * - `FLOW_ADDRESS`: an IPv4 or IPv6 address (aws-facts §1.3, `srcaddr`/`dstaddr`/`pkt-*addr`).
 * - `FLOW_PORT`: 0–65535 (TCP/UDP port numbers are 16-bit).
 * - `FLOW_PROTOCOL`: 0–255 (an IANA protocol number is one byte; aws-facts §1.3 `protocol`).
 * - `FLOW_ACTION`: `ACCEPT` or `REJECT`, the two values AWS lists (aws-facts §1.3 `action`).
 * - `FLOW_LOG_STATUS`: `OK`, `NODATA` or `SKIPDATA` (aws-facts §1.3 `log-status`).
 * - `FLOW_START_END` (record rule): `start` is not after `end`: both are Unix seconds of the
 *   first and last packet of the aggregation interval (aws-facts §1.1).
 *
 * `-` stays allowed everywhere: it is AWS's "not applicable or could not be computed" (§1.1).
 */
export type FlowValueRule =
  | 'FLOW_ADDRESS'
  | 'FLOW_PORT'
  | 'FLOW_PROTOCOL'
  | 'FLOW_ACTION'
  | 'FLOW_LOG_STATUS';

/** The rule of each field that has one. */
const RULES: ReadonlyMap<string, FlowValueRule> = new Map([
  ['srcaddr', 'FLOW_ADDRESS'],
  ['dstaddr', 'FLOW_ADDRESS'],
  ['pkt-srcaddr', 'FLOW_ADDRESS'],
  ['pkt-dstaddr', 'FLOW_ADDRESS'],
  ['srcport', 'FLOW_PORT'],
  ['dstport', 'FLOW_PORT'],
  ['protocol', 'FLOW_PROTOCOL'],
  ['action', 'FLOW_ACTION'],
  ['log-status', 'FLOW_LOG_STATUS'],
]);

/** Largest value of the integer rules. */
export const FLOW_RULE_MAX: Readonly<Partial<Record<FlowValueRule, number>>> = {
  FLOW_PORT: 65535,
  FLOW_PROTOCOL: 255,
};

/** The values of the enumerated rules, exactly as AWS writes them. */
export const FLOW_RULE_VALUES: Readonly<Partial<Record<FlowValueRule, readonly string[]>>> = {
  FLOW_ACTION: ['ACCEPT', 'REJECT'],
  FLOW_LOG_STATUS: ['OK', 'NODATA', 'SKIPDATA'],
};

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
    // Transit gateway flow logs: their default format is these fields with the v2–v5 ones they
    // share (no `action`, no `interface-id`), version 6.
    6,
    [
      'resource-type',
      'tgw-id',
      'tgw-attachment-id',
      'tgw-src-vpc-account-id',
      'tgw-dst-vpc-account-id',
      'tgw-src-vpc-id',
      'tgw-dst-vpc-id',
      'tgw-src-subnet-id',
      'tgw-dst-subnet-id',
      'tgw-src-eni',
      'tgw-dst-eni',
      'tgw-src-az-id',
      'tgw-dst-az-id',
      'tgw-pair-attachment-id',
      'packets-lost-no-route',
      'packets-lost-blackhole',
      'packets-lost-mtu-exceeded',
      'packets-lost-ttl-expired',
    ],
  ],
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
    rule: RULES.get(name) ?? null,
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
    FLOW_FIELDS.get(name) ?? {
      name,
      key: toCamelCase(name),
      version: null,
      integer: false,
      rule: null,
      verified: false,
    }
  );
}

/** True for a field name in the table above (AWS-defined, or `resource-id`). */
export function isKnownFlowField(name: string): boolean {
  return FLOW_FIELDS.has(name);
}
