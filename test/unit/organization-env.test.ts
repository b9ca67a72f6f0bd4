// The central analyze function's organisation variables, validated at cold start with the rest of
// its environment: every member role needs its network and the other way round, and a bad value
// is named, never dropped.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLambdaEnv } from '../../functions/lib/lambda-config.js';
import { parseOrganizationEnv } from '../../functions/lib/organization-env.js';

const CONFIG = readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8').trim();
const ROLE = (a: string, r: string) => `${a}:${r}=arn:aws:iam::${a}:role/PathGuardDiscovery-${r}`;
const NET = (a: string, r: string, vantages = ['vpc-app']) => ({
  account: a,
  region: r,
  vpcId: 'vpc-0a60eb65b4e1f2a3b',
  vantages,
});
const ORG = {
  PATHGUARD_MEMBER_ROLES: `${ROLE('111122223333', 'eu-west-1')},${ROLE('444455556666', 'eu-central-1')}`,
  PATHGUARD_MEMBER_NETWORKS: JSON.stringify([
    NET('111122223333', 'eu-west-1'),
    NET('444455556666', 'eu-central-1', []),
  ]),
  PATHGUARD_MEMBER_EXTERNAL_ID: 'pathguard-o-exampleorg1',
  PATHGUARD_LOG_ARCHIVE: JSON.stringify({
    organizationId: 'o-exampleorg1',
    flowLogs: { bucket: 'example-org-log-archive-flow', prefix: 'flow/' },
  }),
};

describe('parseOrganizationEnv', () => {
  it('is absent for a single-account function', () => {
    expect(parseOrganizationEnv({ PATHGUARD_CONFIG: CONFIG })).toEqual({ ok: true, value: undefined });
  });

  it('joins each member role with its network, and reads the archive and external id', () => {
    const r = parseLambdaEnv({ PATHGUARD_CONFIG: CONFIG, ...ORG });
    if (!r.ok) throw r.error;
    expect(r.value.organization).toEqual({
      members: [
        {
          account: '111122223333',
          region: 'eu-west-1',
          roleArn: 'arn:aws:iam::111122223333:role/PathGuardDiscovery-eu-west-1',
          vpcId: 'vpc-0a60eb65b4e1f2a3b',
          vantageIds: ['vpc-app'],
        },
        expect.objectContaining({ account: '444455556666', region: 'eu-central-1', vantageIds: [] }),
      ],
      externalId: 'pathguard-o-exampleorg1',
      logArchive: {
        organizationId: 'o-exampleorg1',
        flowLogs: { bucket: 'example-org-log-archive-flow', prefix: 'flow/' },
      },
    });
  });

  it.each([
    [
      'a role without a network',
      { PATHGUARD_MEMBER_NETWORKS: JSON.stringify([NET('111122223333', 'eu-west-1')]) },
      'PATHGUARD_MEMBER_NETWORKS: no network for 444455556666 in eu-central-1',
    ],
    [
      'a network without a role',
      {
        PATHGUARD_MEMBER_NETWORKS: JSON.stringify([
          NET('111122223333', 'eu-west-1'),
          NET('444455556666', 'eu-central-1'),
          NET('777788889999', 'eu-west-1'),
        ]),
      },
      'PATHGUARD_MEMBER_NETWORKS: no discovery role for 777788889999 in eu-west-1',
    ],
    [
      'no networks at all',
      { PATHGUARD_MEMBER_NETWORKS: '' },
      'PATHGUARD_MEMBER_NETWORKS: is not set (every member role needs its network)',
    ],
    [
      'networks that are not JSON',
      { PATHGUARD_MEMBER_NETWORKS: '[{' },
      'PATHGUARD_MEMBER_NETWORKS: is not JSON',
    ],
    [
      'a bad VPC id',
      {
        PATHGUARD_MEMBER_NETWORKS: JSON.stringify([{ ...NET('111122223333', 'eu-west-1'), vpcId: 'vpc-x' }]),
      },
      'PATHGUARD_MEMBER_NETWORKS[0].vpcId: expected a VPC id',
    ],
    [
      'an archive without the organisation id',
      { PATHGUARD_LOG_ARCHIVE: JSON.stringify({ flowLogs: { bucket: 'b-b-b', prefix: '' } }) },
      'PATHGUARD_LOG_ARCHIVE.organizationId',
    ],
  ])('refuses %s, naming the variable', (_what, change, message) => {
    const r = parseLambdaEnv({ PATHGUARD_CONFIG: CONFIG, ...ORG, ...change });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toContain(message);
  });
});
