import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserInputError } from '../../shared/errors.js';

const ip = z.string().min(3);
const route = z.strictObject({ destination: z.string(), target: z.string() });

/** A lab network: one VPC with a runner subnet, the S3 endpoints, a NAT gateway, and on-prem. */
export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string(),
  vpc: z.strictObject({
    vpcId: z.string(),
    cidr: z.string(),
    runnerSubnet: z.strictObject({
      subnetId: z.string(),
      cidr: z.string(),
      routeTableId: z.string(),
      routes: z.array(route),
    }),
    /** A public IP only matters for an internet-gateway route (Lambda ENIs never have one). */
    lambdaEni: z.strictObject({ eniId: z.string(), ip, publicIp: ip.optional() }),
    gatewayEndpoint: z.strictObject({ vpcEndpointId: z.string() }),
    interfaceEndpoint: z.strictObject({
      vpcEndpointId: z.string(),
      eniId: z.string(),
      ip,
      dnsName: z.string(),
      privateDns: z.enum(['off', 'on', 'inbound-only']),
    }),
    natGateway: z.strictObject({
      natGatewayId: z.string(),
      subnetId: z.string(),
      subnetCidr: z.string(),
      eniId: z.string(),
      privateIp: ip,
      publicIp: ip,
    }),
  }),
  s3: z.strictObject({ prefixListId: z.string(), cidrs: z.array(z.string()), publicAddress: ip }),
  accelerateEdgeAddress: ip,
  onPrem: z.strictObject({
    cidr: z.string(),
    hostIp: ip,
    publicEgressIp: ip,
    dnsMode: z.enum(['public', 'inbound-resolver']),
  }),
});

export type Scenario = z.infer<typeof scenarioSchema>;

/** Validates a scenario document; `source` names it in the error. */
export function parseScenario(doc: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserInputError(
      'SCENARIO_INVALID',
      `${source}: ${i?.path.join('.') || '(root)'}: ${i?.message}`,
    );
  }
  return r.data;
}

/** Reads and validates a scenario file. */
export async function loadScenario(file: string): Promise<Scenario> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UserInputError('SCENARIO_UNREADABLE', `${file}: ${(e as Error).message}`, {}, 1);
  }
  return parseScenario(doc, file);
}
