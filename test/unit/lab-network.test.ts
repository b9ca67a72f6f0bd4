import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { LabNetwork } from '../../functions/lab/network.js';
import { loadScenario, type Scenario } from '../../functions/lab/scenario.js';
import { scenarioEnvironment } from '../../functions/lab/scenario-env.js';
import { validateEnvironment } from '../../shared/env/schema.js';

const scenario = (name: string) =>
  loadScenario(new URL(`../../functions/lab/scenarios/${name}.json`, import.meta.url).pathname);

/** Resolves a name through a vantage's lab DNS. */
function resolve(net: LabNetwork, kind: 'vpc' | 'onprem', host: string): Promise<string> {
  const { lookup } = net.vantage(kind, kind === 'vpc' ? 'vpc-app' : 'onprem-dc1');
  return new Promise((res, rej) =>
    lookup?.(host, { all: true }, (err: Error | null, a: LookupAddress[] | string) =>
      err ? rej(err) : res(typeof a === 'string' ? a : (a[0]?.address ?? '')),
    ),
  );
}

// Hostnames as @aws-sdk/s3-request-presigner builds them (aws-facts §4, §6.1).
const REGIONAL = 'example-data-bucket.s3.us-east-1.amazonaws.com';
const GLOBAL = 'example-data-bucket.s3.amazonaws.com';
const ACCELERATE = 'example-data-bucket.s3-accelerate.amazonaws.com';
const VPCE = 'example-data-bucket.bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com';

describe('lab network', () => {
  it('resolves names as each vantage would and routes by the runner subnet table (default)', async () => {
    const s = await scenario('default');
    const net = new LabNetwork(s, 1);
    expect(await resolve(net, 'vpc', REGIONAL)).toBe('52.216.8.100');
    expect(await resolve(net, 'vpc', GLOBAL)).toBe('52.216.8.100');
    expect(await resolve(net, 'vpc', ACCELERATE)).toBe('13.224.10.20');
    expect(await resolve(net, 'vpc', VPCE)).toBe('10.0.1.200');
    expect(await resolve(net, 'onprem', REGIONAL)).toBe('52.216.8.100');
    expect(await resolve(net, 'onprem', VPCE)).toBe('10.0.1.200');
    await expect(resolve(net, 'vpc', 'example.com')).rejects.toThrow(/no answer/);

    expect(net.pathFor('vpc', '52.216.8.100')).toBe('gateway-endpoint');
    expect(net.pathFor('vpc', '10.0.1.200')).toBe('interface-endpoint');
    expect(net.pathFor('vpc', '13.224.10.20')).toBe('nat-gateway');
    // A VPC address other than the endpoint ENI carries no S3 traffic.
    expect(net.pathFor('vpc', '10.0.3.4')).toBeNull();
    expect(net.pathFor('onprem', '10.0.1.200')).toBe('onprem-private-vif');
    expect(net.pathFor('onprem', '52.216.8.100')).toBe('onprem-internet');
  });

  it('lets a more specific NAT route beat the prefix-list route; the inbound resolver answers private (nat-override)', async () => {
    const s = await scenario('nat-override');
    const net = new LabNetwork(s, 1);
    expect(net.pathFor('vpc', '52.216.8.100')).toBe('nat-gateway');
    // 52.217.x is in the prefix list's /15 but outside the /16 NAT route.
    expect(net.pathFor('vpc', '52.217.1.1')).toBe('gateway-endpoint');
    expect(await resolve(net, 'onprem', REGIONAL)).toBe('10.0.1.200');
    // The global name is not covered by the endpoint's private DNS.
    expect(await resolve(net, 'onprem', GLOBAL)).toBe('52.216.8.100');
    // Private DNS for inbound resolvers only: the VPC still resolves public addresses.
    expect(await resolve(net, 'vpc', REGIONAL)).toBe('52.216.8.100');
  });

  it('sends an internet-gateway route through its own path, and drops it without a public IP', async () => {
    const base = await scenario('default');
    const s: Scenario = structuredClone(base);
    s.vpc.runnerSubnet.routes = [
      { destination: '10.0.0.0/16', target: 'local' },
      { destination: '0.0.0.0/0', target: 'igw-0e1e1e1e1e1e1e1e1' },
    ];
    const net = new LabNetwork(s, 1);
    expect(net.pathFor('vpc', '52.216.8.100')).toBe('internet-gateway');
    await net.start();
    try {
      // The Lambda ENI has no public IP: the connection dies, only the egress record is logged.
      const sock = net.vantage('vpc', 'vpc-app').dial?.('52.216.8.100', 443);
      await new Promise((r) => sock?.once('close', r));
      await net.idle();
      expect(net.flows).toHaveLength(1);
      expect(net.flows[0]).toMatchObject({
        srcaddr: '10.0.1.77',
        dstaddr: '52.216.8.100',
        dstport: 443,
        flowDirection: 'egress',
        trafficPath: 8,
      });
    } finally {
      await net.close();
    }
  });

  it('generates an environment document that passes the strict environment schema', async () => {
    for (const name of ['default', 'nat-override']) {
      const s = await scenario(name);
      const r = validateEnvironment(JSON.parse(JSON.stringify(scenarioEnvironment(s))));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.interfaceEndpoints[0]?.ips).toEqual(['10.0.1.200']);
      expect(r.value.natGateways[0]?.publicIps).toEqual(['198.51.100.7']);
      expect(r.value.onPrem?.dnsMode).toBe(s.onPrem.dnsMode);
    }
  });
});
