// A fake EC2 for discovery: answers every Describe call discovery makes from
// test/fixtures/aws/ec2-discovery.json (or overrides), with EC2's filters and paging, through
// aws-sdk-client-mock (which intercepts every EC2Client, so commands that build their own client
// are covered too).
import { readFileSync } from 'node:fs';
import {
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';

export type Item = Record<string, unknown>;
export const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/aws/ec2-discovery.json', import.meta.url), 'utf8'),
) as Record<string, Item[]> & { PrefixListEntries: Record<string, Item[]> };

export const ec2 = mockClient(EC2Client);

/** Filter names → the field they match (EC2 API Reference, each Describe action's Filter.N). */
const FILTER_FIELDS: Record<string, string> = {
  'vpc-id': 'VpcId',
  'subnet-id': 'SubnetId',
  'network-interface-id': 'NetworkInterfaceId',
  'interface-type': 'InterfaceType',
  'resource-id': 'ResourceId',
  'prefix-list-name': 'PrefixListName',
  'prefix-list-id': 'PrefixListId',
  'owner-id': 'OwnerId',
};
function matches(item: Item, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const field = FILTER_FIELDS[f.Name ?? ''];
    if (!field) throw new Error(`the fake EC2 does not know filter ${f.Name}`);
    // The filter value for NAT ENIs is nat_gateway; the InterfaceType EC2 reports is natGateway.
    const value = String(item[field]) === 'natGateway' ? 'nat_gateway' : String(item[field]);
    return (f.Values ?? []).includes(value);
  });
}

/**
 * Pages like EC2 does: at most `size` items a page, a NextToken while more remain, and (as EC2
 * sometimes does under filters) an empty first page that still carries a NextToken.
 */
function paged(items: Item[], token: string | undefined, size = 2) {
  if (token === undefined) return { page: [] as Item[], next: items.length > 0 ? 't0' : undefined };
  const start = Number(token.slice(1));
  const page = items.slice(start, start + size);
  return { page, next: start + size < items.length ? `t${start + size}` : undefined };
}

/** Fixture keys to replace (`Vpcs`, `RouteTables`, …), and prefix-list entries to add by id. */
export type FakeData = { [call: string]: Item[] | Record<string, Item[]> | undefined } & {
  PrefixListEntries?: Record<string, Item[]>;
};

/** Every Describe call discovery makes answered with nothing: an account without any network. */
export function emptyEc2(): void {
  for (const c of [
    DescribeVpcsCommand,
    DescribeSubnetsCommand,
    DescribeRouteTablesCommand,
    DescribeVpcEndpointsCommand,
    DescribeNatGatewaysCommand,
    DescribeNetworkInterfacesCommand,
    DescribeManagedPrefixListsCommand,
    DescribeFlowLogsCommand,
  ])
    ec2.on(c as never).resolves({});
}

export function fakeEc2(overrides: FakeData = {}) {
  const data = { ...fixture, ...overrides } as Record<string, Item[]>;
  const entries: Record<string, Item[]> = { ...fixture.PrefixListEntries, ...overrides.PrefixListEntries };
  const byIds = (items: Item[], field: string, ids: string[] | undefined) =>
    ids?.length ? items.filter((i) => ids.includes(String(i[field]))) : items;
  ec2.on(DescribeVpcsCommand).callsFake((input) => {
    const { page, next } = paged(byIds(data.Vpcs!, 'VpcId', input.VpcIds), input.NextToken);
    return { Vpcs: page, NextToken: next };
  });
  ec2.on(DescribeSubnetsCommand).callsFake((input) => {
    const items = byIds(data.Subnets!, 'SubnetId', input.SubnetIds).filter((s) => matches(s, input.Filters));
    const { page, next } = paged(items, input.NextToken);
    return { Subnets: page, NextToken: next };
  });
  ec2.on(DescribeRouteTablesCommand).callsFake((input) => {
    const { page, next } = paged(
      data.RouteTables!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { RouteTables: page, NextToken: next };
  });
  ec2.on(DescribeVpcEndpointsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.VpcEndpoints!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { VpcEndpoints: page, NextToken: next };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    const { page, next } = paged(
      data.NetworkInterfaces!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { NetworkInterfaces: page, NextToken: next };
  });
  ec2.on(DescribeNatGatewaysCommand).callsFake((input) => {
    const { page, next } = paged(
      data.NatGateways!.filter((s) => matches(s, input.Filter)),
      input.NextToken,
    );
    return { NatGateways: page, NextToken: next };
  });
  ec2.on(DescribeManagedPrefixListsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.PrefixLists!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { PrefixLists: page, NextToken: next };
  });
  ec2.on(GetManagedPrefixListEntriesCommand).callsFake((input) => {
    const { page, next } = paged(entries[input.PrefixListId ?? ''] ?? [], input.NextToken);
    return { Entries: page, NextToken: next };
  });
  ec2.on(DescribeFlowLogsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.FlowLogs!.filter((s) => matches(s, input.Filter)),
      input.NextToken,
    );
    return { FlowLogs: page, NextToken: next };
  });
}
