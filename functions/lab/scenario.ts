import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Environment, Route } from '../../shared/env/types.js';
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
    lambdaEni: z.strictObject({ eniId: z.string(), ip }),
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

export async function loadScenario(file: string): Promise<Scenario> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UserInputError('SCENARIO_UNREADABLE', `${file}: ${(e as Error).message}`, {}, 1);
  }
  const r = scenarioSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserInputError('SCENARIO_INVALID', `${file}: ${i?.path.join('.') || '(root)'}: ${i?.message}`);
  }
  return r.data;
}

/** What EC2 discovery would return for the scenario: the environment the analyzer judges with. */
export function scenarioEnvironment(s: Scenario): Environment {
  const v = s.vpc;
  const natRoutes: Route[] = [
    { destination: s.vpc.cidr, target: 'local' },
    { destination: '0.0.0.0/0', target: 'igw-0e1e1e1e1e1e1e1e1' },
  ];
  return {
    region: s.region,
    s3PrefixLists: [
      { prefixListId: s.s3.prefixListId, name: `com.amazonaws.${s.region}.s3`, cidrs: s.s3.cidrs },
    ],
    vpcs: [{ vpcId: v.vpcId, cidrs: [v.cidr] }],
    subnets: [
      {
        subnetId: v.runnerSubnet.subnetId,
        vpcId: v.vpcId,
        cidrs: [v.runnerSubnet.cidr],
        routeTableId: v.runnerSubnet.routeTableId,
      },
      {
        subnetId: v.natGateway.subnetId,
        vpcId: v.vpcId,
        cidrs: [v.natGateway.subnetCidr],
        routeTableId: 'rtb-0d0d0d0d0d0d0d0d0',
      },
    ],
    routeTables: [
      { routeTableId: v.runnerSubnet.routeTableId, vpcId: v.vpcId, routes: v.runnerSubnet.routes },
      { routeTableId: 'rtb-0d0d0d0d0d0d0d0d0', vpcId: v.vpcId, routes: natRoutes },
    ],
    gatewayEndpoints: [
      {
        vpcEndpointId: v.gatewayEndpoint.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: `com.amazonaws.${s.region}.s3`,
        prefixListId: s.s3.prefixListId,
        routeTableIds: [v.runnerSubnet.routeTableId],
      },
    ],
    interfaceEndpoints: [
      {
        vpcEndpointId: v.interfaceEndpoint.vpcEndpointId,
        vpcId: v.vpcId,
        serviceName: `com.amazonaws.${s.region}.s3`,
        ips: [v.interfaceEndpoint.ip],
        dnsNames: [v.interfaceEndpoint.dnsName],
        privateDns: v.interfaceEndpoint.privateDns,
      },
    ],
    natGateways: [
      {
        natGatewayId: v.natGateway.natGatewayId,
        subnetId: v.natGateway.subnetId,
        eniIds: [v.natGateway.eniId],
        privateIps: [v.natGateway.privateIp],
        publicIps: [v.natGateway.publicIp],
      },
    ],
    networkInterfaces: [
      { eniId: v.lambdaEni.eniId, subnetId: v.runnerSubnet.subnetId, privateIps: [v.lambdaEni.ip] },
      {
        eniId: v.interfaceEndpoint.eniId,
        subnetId: v.runnerSubnet.subnetId,
        privateIps: [v.interfaceEndpoint.ip],
      },
      { eniId: v.natGateway.eniId, subnetId: v.natGateway.subnetId, privateIps: [v.natGateway.privateIp] },
    ],
    onPrem: { cidrs: [s.onPrem.cidr], publicEgressIps: [s.onPrem.publicEgressIp], dnsMode: s.onPrem.dnsMode },
  };
}
