// Types only at the top: the analyze bundle keeps the SDK external, and esbuild hoists an external
// value import to the bundle's top even from a lazily loaded module, so EC2's module (about 0.5 s
// of CPU) and STS's would load at every cold start. The clients are imported when first used.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UserInputError } from '../../shared/errors.js';
import type { MemberRole } from '../lib/organization-env.js';
import { createAwsClient } from './clients.js';
import { AwsCallError } from './retry.js';

// The role list is read with the rest of the environment at cold start (organization-env.ts).
export { type MemberRole, parseMemberRoles } from '../lib/organization-env.js';

/** Options of {@link assumedRoleCredentials}. */
export interface AssumeOptions {
  /** Presented in every AssumeRole when the member's trust requires it. @default none */
  readonly externalId?: string;
  /** Names the session in the member's CloudTrail. @default 'pathguard-analyze' */
  readonly sessionName?: string;
  /**
   * Session length: a Lambda role assuming another is role chaining, which STS caps at one hour.
   * @default 3600
   */
  readonly durationSeconds?: number;
  /** Refresh this long before expiry, so no call starts with credentials about to lapse. @default 300 000 ms */
  readonly refreshMarginMs?: number;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * A credential provider for one role through STS AssumeRole, cached until `refreshMarginMs`
 * before the session expires; concurrent callers share one AssumeRole. A failed AssumeRole
 * rejects with an AwsCallError naming the role and is not cached (the next call tries again).
 */
export function assumedRoleCredentials(
  sts: STSClient,
  roleArn: string,
  opts: AssumeOptions = {},
): AwsCredentialIdentityProvider {
  const now = opts.now ?? Date.now;
  const margin = opts.refreshMarginMs ?? 300_000;
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const assume = async (): Promise<AwsCredentialIdentity> => {
    let out: AssumeRoleCommandOutput;
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    try {
      out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: opts.sessionName ?? 'pathguard-analyze',
          DurationSeconds: opts.durationSeconds ?? 3600,
          ...(opts.externalId ? { ExternalId: opts.externalId } : {}),
        }),
      );
    } catch (e) {
      throw new AwsCallError(`STS AssumeRole ${roleArn}`, e);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new AwsCallError(
        `STS AssumeRole ${roleArn}`,
        new Error('the response holds no complete credentials'),
      );
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  };
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - margin > now()) return cached;
    pending ??= assume().finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
}

/**
 * SDK clients in each member account x Region, on that member's discovery role: one cached
 * credential provider per role and one client per member, built with PathGuard's retry policy.
 *
 * @example
 * const members = new MemberClients(await centralStsClient(), roles, { externalId });
 * await discoverEnvironment(await members.ec2('111122223333', 'eu-west-1'), opts);
 */
export class MemberClients {
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();
  private readonly ec2Clients = new Map<string, Promise<EC2Client>>();
  private readonly byMember: Map<string, MemberRole>;

  constructor(
    private readonly sts: STSClient,
    readonly roles: readonly MemberRole[],
    private readonly opts: AssumeOptions = {},
  ) {
    this.byMember = new Map(roles.map((r) => [`${r.account}:${r.region}`, r]));
  }

  /** The credentials of the member's discovery role (cached until shortly before expiry). */
  credentials(account: string, region: string): AwsCredentialIdentityProvider {
    const role = this.role(account, region);
    let p = this.providers.get(role.roleArn);
    if (!p) {
      p = assumedRoleCredentials(this.sts, role.roleArn, this.opts);
      this.providers.set(role.roleArn, p);
    }
    return p;
  }

  /** An EC2 client in the member's Region on its discovery role (rejects for an unknown member). */
  async ec2(account: string, region: string): Promise<EC2Client> {
    const key = `${account}:${region}`;
    let c = this.ec2Clients.get(key);
    if (!c) {
      const credentials = this.credentials(account, region);
      c = import('@aws-sdk/client-ec2').then((m) =>
        createAwsClient(m.EC2Client, { region, credentials }, { maxAttempts: 8 }),
      );
      this.ec2Clients.set(key, c);
    }
    return c;
  }

  private role(account: string, region: string): MemberRole {
    const role = this.byMember.get(`${account}:${region}`);
    if (!role)
      throw new UserInputError('CONFIG_MISSING', `no discovery role for member ${account} in ${region}`);
    return role;
  }
}

/** An STS client for the central function (its own Region's endpoint), its module loaded on first use. */
export async function centralStsClient(): Promise<STSClient> {
  const { STSClient } = await import('@aws-sdk/client-sts');
  return createAwsClient(STSClient);
}
