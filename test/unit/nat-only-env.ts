// A shared inspection fixture: the environment where a regional name leaves the endpoint path.
import type { Environment } from '../../shared/env/types.js';

/**
 * One us-east-1 VPC whose only route to S3 is the NAT gateway's default route, and on-prem DNS
 * through public resolvers: a regional name leaves the endpoint path from both vantages.
 */
export const NAT_ONLY_ENV: Environment = {
  region: 'us-east-1',
  prefixLists: [],
  s3PrefixLists: [
    { prefixListId: 'pl-63a5400a', name: 'com.amazonaws.us-east-1.s3', cidrs: ['52.216.0.0/15'] },
  ],
  vpcs: [{ vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.0.0/16'] }],
  subnets: [
    { subnetId: 'subnet-0aaa', vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.1.0/24'], routeTableId: 'rtb-0aaa' },
  ],
  routeTables: [
    {
      routeTableId: 'rtb-0aaa',
      vpcId: 'vpc-0a1b2c3d',
      routes: [
        { destination: '10.0.0.0/16', target: 'local' },
        { destination: '0.0.0.0/0', target: 'nat-0f1e2d3c' },
      ],
    },
  ],
  gatewayEndpoints: [],
  interfaceEndpoints: [],
  natGateways: [
    {
      natGatewayId: 'nat-0f1e2d3c',
      subnetId: 'subnet-0pub',
      eniIds: ['eni-0nat'],
      privateIps: ['10.0.0.10'],
      publicIps: ['198.51.100.7'],
    },
  ],
  networkInterfaces: [],
  onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: ['203.0.113.10'], dnsMode: 'public' },
};
