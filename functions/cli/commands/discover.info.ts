import type { CommandInfo } from '../command.js';

/** What `pathguard discover` says about itself; the command table loads its code only when it runs. */
export const discoverInfo: CommandInfo = {
  path: ['discover'],
  summary: 'write the environment document (VPCs, routes, endpoints, prefix lists) from the account',
  usage: 'discover [--region R] [--vpc ID...] [--subnet ID...] [--config C] [--out env.json]',
  help: `Describes the VPCs through EC2 and writes the environment document the other commands read
(--env): VPCs, subnets with their route tables, routes (CIDR and prefix-list destinations), S3
gateway and interface endpoints, NAT gateways, the Lambda ENIs of the runner subnets, the S3
prefix list and every other prefix list a route names (other services', customer-managed). The
document is validated before it is written. Read-only: the credentials need ec2:Describe* and
ec2:GetManagedPrefixListEntries; they come from the default chain (AWS_PROFILE, SSO, environment
variables, instance or task role).

Options:
  --region R        the Region (default: the config's region, else AWS_REGION or the profile's)
  --vpc ID...       VPCs to describe; repeatable or several after one --vpc
  --subnet ID...    runner subnets (their Lambda ENIs and flow logs); also finds their VPCs
  --config FILE     PathGuard config: its region, its VPC vantages' subnets and its onPrem block
                    (what discovery cannot see) go into the document
  --out FILE        write the document there (replaced whole, never half-written); default stdout

Give at least one --vpc, --subnet or a --config with VPC vantages. Warnings (a route whose prefix
list EC2 did not return, a subnet without a route table) go to stderr; the matching records
classify as unknown until they are fixed.

Exit status: 0 written, 1 an EC2 call failed (the message names the call and the AWS error),
2 usage error or invalid config.

Examples:
  pathguard discover --region us-east-1 --vpc vpc-0a60eb65b4e1f2a3b --out env.json
  AWS_PROFILE=audit pathguard discover --config pathguard.config.json --out env.json`,
  options: {
    region: { type: 'string' },
    vpc: { type: 'string', multiple: true },
    subnet: { type: 'string', multiple: true },
    config: { type: 'string' },
    out: { type: 'string' },
  },
  variadic: ['vpc', 'subnet'],
};
