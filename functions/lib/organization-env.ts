// What the central stack tells the central analyze function about the organisation: the members
// it analyses (account x Region, discovery role, VPC and vantages) and the log archive. Light on
// purpose: every handler validates its environment at cold start, and the STS and EC2 clients
// load only when a run reaches the members (functions/aws/member-access.ts).
import * as z from 'zod/mini';
import '../../shared/zod-locale.js';
import { bucketName, formatIssuePath, runnerId } from '../../shared/config/schema.js';
import { UserInputError, ValidationError } from '../../shared/errors.js';
import { fail, ok, type Result } from '../../shared/result.js';

/** The variables the central stack sets (infra/constructs/analyzer.ts, organization-access.ts). */
export const ORGANIZATION_ENV = {
  roles: 'PATHGUARD_MEMBER_ROLES',
  networks: 'PATHGUARD_MEMBER_NETWORKS',
  externalId: 'PATHGUARD_MEMBER_EXTERNAL_ID',
  logArchive: 'PATHGUARD_LOG_ARCHIVE',
} as const;

/** One member account x Region and the discovery role the central analyzer assumes there. */
export interface MemberRole {
  readonly account: string;
  readonly region: string;
  readonly roleArn: string;
}

const MEMBER_ROLE =
  /^(\d{12}):([a-z]{2}(?:-[a-z]+)+-\d)=(arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@-]{1,64})$/;

/**
 * Reads PATHGUARD_MEMBER_ROLES as the central stack writes it:
 * `account:region=roleArn,…`. A malformed entry or a role in another account than its entry's is
 * refused by position, never passed to STS.
 *
 * @example parseMemberRoles('111122223333:eu-west-1=arn:aws:iam::111122223333:role/PathGuardDiscovery-eu-west-1')
 */
export function parseMemberRoles(text: string | undefined): Result<MemberRole[], UserInputError> {
  const out: MemberRole[] = [];
  const entries = (text ?? '').split(',').filter((e) => e.trim() !== '');
  for (const [i, entry] of entries.entries()) {
    const m = MEMBER_ROLE.exec(entry.trim());
    if (!m || m[1] !== m[4])
      return fail(
        new UserInputError(
          'CONFIG_INVALID',
          `PATHGUARD_MEMBER_ROLES entry ${i + 1} is not account:region=arn:aws:iam::<same account>:role/<name>`,
        ),
      );
    out.push({ account: m[1]!, region: m[2]!, roleArn: m[3]! });
  }
  return ok(out);
}

/** A member account x Region as the central analyzer runs it. */
export interface MemberTarget extends MemberRole {
  /** The member's VPC in that Region (its network section). */
  readonly vpcId: string;
  /** The config's VPC vantages whose subnets are this member's, in that Region. */
  readonly vantageIds: readonly string[];
}

/** One bucket and prefix of the log archive, read for every member. */
export interface ArchiveLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** The log-archive locations (Control Tower layout), one per source, for all members. */
export interface LogArchive {
  readonly organizationId: string;
  readonly flowLogs?: ArchiveLocation;
  readonly accessLogs?: ArchiveLocation;
  readonly cloudTrail?: ArchiveLocation;
}

/** What an organisation's central analyze function runs with. */
export interface OrganizationEnv {
  readonly members: readonly MemberTarget[];
  /** Presented in every AssumeRole (sts:ExternalId). */
  readonly externalId?: string;
  /** Absent: no source is read from a log archive (the members' probes stay no-evidence). */
  readonly logArchive?: LogArchive;
}

/**
 * PATHGUARD_MEMBER_ROLES as the central stack writes it (read back by {@link parseMemberRoles}).
 *
 * @example memberRolesText([{ account: '111122223333', region: 'eu-west-1', roleArn }]) // '111122223333:eu-west-1=arn:…'
 */
export function memberRolesText(roles: readonly MemberRole[]): string {
  return roles.map((r) => `${r.account}:${r.region}=${r.roleArn}`).join(',');
}

/**
 * PATHGUARD_MEMBER_NETWORKS as the central stack writes it: each member's VPC and VPC vantages.
 *
 * @example memberNetworksText([{ account, region, vpcId: 'vpc-0a60eb65b4e1f2a3b', vantageIds: ['payments-west'] }])
 */
export function memberNetworksText(
  members: readonly Pick<MemberTarget, 'account' | 'region' | 'vpcId' | 'vantageIds'>[],
): string {
  return JSON.stringify(
    members.map((m) => ({ account: m.account, region: m.region, vpcId: m.vpcId, vantages: m.vantageIds })),
  );
}

const account = z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account id'));
const region = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code'));
const networks = z.array(
  z.strictObject({
    account,
    region,
    vpcId: z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC id')),
    vantages: z.array(runnerId),
  }),
);
const location = z.strictObject({ bucket: bucketName, prefix: z.string() });
const logArchive = z.strictObject({
  organizationId: z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id')),
  flowLogs: z.optional(location),
  accessLogs: z.optional(location),
  cloudTrail: z.optional(location),
});

type Issue = { path: string; message: string };

function parseJsonVar<T>(
  name: string,
  text: string | undefined,
  schema: z.ZodMiniType<T>,
  issues: Issue[],
): T | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    issues.push({ path: name, message: 'is not JSON' });
    return undefined;
  }
  const r = schema.safeParse(doc);
  if (r.success) return r.data;
  for (const i of r.error.issues)
    issues.push({ path: formatIssuePath([name, ...i.path]), message: i.message });
  return undefined;
}

/**
 * The organisation the central stack passed, validated once at cold start; undefined for a
 * single-account deployment (no PATHGUARD_MEMBER_ROLES). Every member role needs its network and
 * the other way round: a member the function could not place is a deployment fault, named, never
 * skipped in silence.
 *
 * @example
 * const r = parseOrganizationEnv(process.env);
 * if (r.ok && r.value) for (const m of r.value.members) console.log(m.account, m.region, m.vantageIds);
 */
export function parseOrganizationEnv(
  env: Readonly<Record<string, string | undefined>>,
): Result<OrganizationEnv | undefined, ValidationError> {
  const rolesText = env[ORGANIZATION_ENV.roles];
  if (rolesText === undefined || rolesText.trim() === '') return ok(undefined);
  const issues: Issue[] = [];
  const roles = parseMemberRoles(rolesText);
  if (!roles.ok) issues.push({ path: ORGANIZATION_ENV.roles, message: roles.error.message });
  const nets = parseJsonVar(ORGANIZATION_ENV.networks, env[ORGANIZATION_ENV.networks], networks, issues);
  if (!nets && !issues.some((i) => i.path.startsWith(ORGANIZATION_ENV.networks)))
    issues.push({
      path: ORGANIZATION_ENV.networks,
      message: 'is not set (every member role needs its network)',
    });
  const archive = parseJsonVar(
    ORGANIZATION_ENV.logArchive,
    env[ORGANIZATION_ENV.logArchive],
    logArchive,
    issues,
  );
  const members: MemberTarget[] = [];
  if (roles.ok && nets) {
    const byKey = new Map(nets.map((n) => [`${n.account}:${n.region}`, n]));
    for (const r of roles.value) {
      const n = byKey.get(`${r.account}:${r.region}`);
      if (!n)
        issues.push({
          path: ORGANIZATION_ENV.networks,
          message: `no network for ${r.account} in ${r.region}`,
        });
      else members.push({ ...r, vpcId: n.vpcId, vantageIds: n.vantages });
      byKey.delete(`${r.account}:${r.region}`);
    }
    for (const k of byKey.keys())
      issues.push({
        path: ORGANIZATION_ENV.networks,
        message: `no discovery role for ${k.replace(':', ' in ')}`,
      });
  }
  if (issues.length > 0) return fail(new ValidationError('environment', issues));
  const externalId = env[ORGANIZATION_ENV.externalId];
  return ok({
    members,
    ...(externalId ? { externalId } : {}),
    ...(archive ? { logArchive: archive } : {}),
  });
}
