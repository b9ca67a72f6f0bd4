import { rename, writeFile } from 'node:fs/promises';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { PathGuardConfig } from '../../../shared/config/index.js';
import { buildEnvironmentIndex } from '../../../shared/env/environment-index.js';
import { validateEnvironment } from '../../../shared/env/schema.js';
import { UserInputError } from '../../../shared/errors.js';
import { createAwsClient } from '../../aws/clients.js';
import { type DiscoveryResult, discoverEnvironment } from '../../aws/discovery.js';
import { AwsCallError } from '../../aws/retry.js';
import { type CommandSpec, writeOut } from '../command.js';
import { readConfigFile } from '../inputs.js';
import { discoverInfo } from './discover.info.js';

// The environment schema's id shape.
const VPC_ID = /^vpc-[0-9a-z]+$/;
const SUBNET_ID = /^subnet-[0-9a-z]+$/;

/**
 * `pathguard discover`: the environment document from the account, with the discovery adapter the
 * analyze function runs (so the file is what the deployed analyzer would see), read-only, with
 * the default credential chain (environment, SSO or profile, instance role).
 */
export const discoverCommand: CommandSpec = {
  ...discoverInfo,
  async run({ values, positionals, io }) {
    if (positionals.length > 0) {
      throw new UserInputError('USAGE', `unexpected argument '${positionals[0]}'; name VPCs with --vpc`);
    }
    const vpcIds = ids(values.vpc, VPC_ID, '--vpc', 'vpc-0a60eb65b4e1f2a3b');
    const subnetIds = ids(values.subnet, SUBNET_ID, '--subnet', 'subnet-0a1b2c3d4e5f6a7b8');
    const cfg: PathGuardConfig | null =
      typeof values.config === 'string' ? await readConfigFile(values.config) : null;
    const runnerSubnetIds = [
      ...subnetIds,
      ...(cfg?.vantages ?? []).flatMap((v) => (v.kind === 'vpc' ? [v.subnetId] : [])),
    ];
    if (vpcIds.length === 0 && runnerSubnetIds.length === 0) {
      throw new UserInputError('USAGE', 'give --vpc ID, --subnet ID or a --config with VPC vantages');
    }
    const explicitRegion = typeof values.region === 'string' ? values.region : cfg?.region;
    const ec2 = createAwsClient(EC2Client, explicitRegion ? { region: explicitRegion } : {}, {
      maxAttempts: 8,
    });
    try {
      const region = await resolveRegion(ec2);
      let found: DiscoveryResult;
      try {
        found = await discoverEnvironment(ec2, {
          region,
          vpcIds,
          runnerSubnetIds,
          ...(cfg ? { onPrem: cfg.onPrem } : {}),
        });
      } catch (e) {
        // An EC2 failure (credentials, permissions, throttling after the retries) is one line.
        if (e instanceof AwsCallError) throw new UserInputError('AWS_CALL_FAILED', e.message, {}, 1);
        throw e;
      }
      const checked = validateEnvironment(found.environment);
      if (!checked.ok) {
        // EC2 answered something the document cannot hold: never written, never half-valid.
        throw new UserInputError('ENV_INVALID', `discovered environment: ${checked.error.message}`, {}, 1);
      }
      const text = `${JSON.stringify(found.environment, null, 2)}\n`;
      if (typeof values.out === 'string') await writeWhole(values.out, text);
      else await writeOut(io.stdout, text);
      for (const w of buildEnvironmentIndex(found.environment).warnings) {
        io.stderr.write(`pathguard discover: warning: ${w.path}: ${w.message}\n`);
      }
      io.stderr.write(`pathguard discover: ${summary(found, region)}\n`);
      if (!cfg) {
        io.stderr.write(
          'pathguard discover: onPrem is empty (discovery cannot see on-premises networks): fill it in, or pass --config\n',
        );
      }
      return 0;
    } finally {
      ec2.destroy();
    }
  },
};

function ids(v: unknown, shape: RegExp, flag: string, example: string): string[] {
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
  const out = list.flatMap((x) => x.split(',')).map((x) => x.trim());
  for (const id of out) {
    if (!shape.test(id))
      throw new UserInputError('USAGE', `${flag}: '${id}' is not an id such as ${example}`);
  }
  return [...new Set(out)];
}

async function resolveRegion(ec2: EC2Client): Promise<string> {
  let region: string | undefined;
  try {
    region = await ec2.config.region();
  } catch {
    region = undefined;
  }
  if (!region || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new UserInputError(
      'USAGE',
      region
        ? `'${region}' is not a Region code such as us-east-1`
        : 'no Region: pass --region, a --config, or set AWS_REGION (or a region in the AWS profile)',
    );
  }
  return region;
}

/** Writes through a temporary file and a rename, so an interrupted run never leaves half a document. */
async function writeWhole(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'cannot be written';
    throw new UserInputError('OUTPUT_UNWRITABLE', `--out ${file}: ${code}`, {}, 1);
  }
}

function summary(found: DiscoveryResult, region: string): string {
  const env = found.environment;
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  return [
    `${region}: ${n(env.vpcs.length, 'VPC')}`,
    n(env.subnets.length, 'subnet'),
    n(env.routeTables.length, 'route table'),
    n(env.gatewayEndpoints.length, 'S3 gateway endpoint'),
    n(env.interfaceEndpoints.length, 'S3 interface endpoint'),
    n(env.natGateways.length, 'NAT gateway'),
    `prefix lists: ${env.s3PrefixLists.length} S3, ${env.prefixLists.length} other`,
    n(found.flowLogs.length, 'flow log'),
  ].join(', ');
}
