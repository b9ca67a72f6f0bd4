import { readdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LAB_FLOW_LOG_FORMAT,
  LAB_FLOW_LOG_FORMAT_SPEC,
  type LabNetwork,
  type LabPath,
  type LabScenario,
  loadLabScenario,
  parseLabScenario,
  resolveLabName,
  scenarioEnvironment,
  startLabNetwork,
  traceLabPath,
} from '../../functions/lab/network/index.js';
import { allowOnlyFromVpcEndpoints, type LabS3, startLabS3 } from '../../functions/lab/s3/index.js';
import { fetchProbe } from '../../functions/runner/fetch.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import { parseFlowFormat, parseFlowLogText } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const BUCKET = 'example-data-bucket';
const KEY = 'pathguard/probes/object.bin';
const BODY = 'pathguard probe object';
const LOGS = 'example-access-logs';
const scenarioFile = (name: string) =>
  new URL(`../../functions/lab/scenarios/${name}.json`, import.meta.url).pathname;

type Style = 'regional' | 'global' | 'interface-endpoint' | 'accelerate';
const STYLES: readonly Style[] = ['regional', 'global', 'interface-endpoint', 'accelerate'];

/** Client settings the SDK turns into each style's presigned host (aws-facts §6.1). */
function clientConfig(s: LabScenario, style: Style): Partial<S3ClientConfig> {
  switch (style) {
    case 'regional':
      return {};
    case 'global':
      return { useGlobalEndpoint: true };
    case 'interface-endpoint':
      return { endpoint: `https://bucket.${s.vpcs[0]!.interfaceEndpoints[0]!.dnsName.slice(2)}` };
    case 'accelerate':
      return { useAccelerateEndpoint: true };
  }
}

async function presign(s: LabScenario, s3: LabS3, style: Style): Promise<string> {
  const client = new S3Client({ region: s.region, credentials: s3.credential, ...clientConfig(s, style) });
  try {
    return await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), { expiresIn: 300 });
  } finally {
    client.destroy();
  }
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

async function fetchFrom(network: LabNetwork, vantageId: string, url: string) {
  const v = network.vantage(vantageId);
  return fetchProbe(url, {
    runnerId: vantageId,
    probeId: 'probe-0001',
    vantageKind: v.kind,
    lookup: v.lookup,
    dial: v.dial,
    timeoutMs: 5000,
  });
}

function isLoopbackText(text: string): boolean {
  return /(^|[^0-9])127\.\d+\.\d+\.\d+/.test(text) || text.includes('::1');
}

describe('lab scenarios', () => {
  it('validate, and name the first problem with its path', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    expect(s.vantages.map((v) => v.id)).toEqual(['vpc-app', 'onprem-dc1']);
    const bad = structuredClone(s) as { vantages: { ip: string }[] };
    bad.vantages[0]!.ip = '10.0.9.9';
    expect(() => parseLabScenario(bad, 'bad.json')).toThrow(
      /bad\.json: vantages\[0\]: 10\.0\.9\.9 is outside/,
    );
    const loop = structuredClone(s) as { onPrem: { publicEgressIp: string } };
    loop.onPrem.publicEgressIp = '127.0.0.5';
    expect(() => parseLabScenario(loop)).toThrow(/onPrem\.publicEgressIp: a special-purpose address/);
  });

  it('generate an environment document the strict schema accepts and whose routes agree with the lab', async () => {
    const expected: Record<string, Record<string, string>> = {
      default: {
        '52.216.8.100': 'gateway-endpoint',
        '52.217.36.12': 'gateway-endpoint',
        '13.224.10.20': 'nat-gateway',
      },
      'nat-override': {
        '52.216.8.100': 'nat-gateway',
        '52.217.36.12': 'gateway-endpoint',
        '13.224.10.20': 'nat-gateway',
      },
    };
    for (const name of ['default', 'nat-override']) {
      const s = await loadLabScenario(scenarioFile(name));
      const r = validateEnvironment(JSON.parse(JSON.stringify(scenarioEnvironment(s))));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.networkInterfaces.map((n) => n.eniId)).toEqual([
        'eni-0a7a7a7a7a7a7a7a7',
        'eni-0b8b8b8b8b8b8b8b8',
        'eni-0c9c9c9c9c9c9c9c9',
      ]);
      const idx = buildEnvironmentIndex(r.value);
      const app = s.vantages[0]!;
      if (app.kind !== 'vpc') throw new Error('vpc-app must be a VPC vantage');
      for (const [address, kind] of Object.entries(expected[name]!)) {
        // The analyzer's route resolution over the generated document and the lab's own agree.
        expect(idx.resolveRoute(app.subnetId, address)?.targetKind).toBe(kind);
      }
    }
  });
});

describe('lab DNS and routing', () => {
  // Expected paths per vantage and style (issue: the lab's default and nat-override matrices).
  const expected: Record<string, Record<string, Record<Style, LabPath>>> = {
    default: {
      'vpc-app': {
        regional: 'gateway-endpoint',
        global: 'gateway-endpoint',
        'interface-endpoint': 'interface-endpoint',
        accelerate: 'nat-gateway',
      },
      'onprem-dc1': {
        regional: 'onprem-internet',
        global: 'onprem-internet',
        'interface-endpoint': 'onprem-private-vif',
        accelerate: 'onprem-internet',
      },
    },
    'nat-override': {
      'vpc-app': {
        regional: 'nat-gateway',
        global: 'gateway-endpoint',
        'interface-endpoint': 'interface-endpoint',
        accelerate: 'nat-gateway',
      },
      'onprem-dc1': {
        regional: 'onprem-private-vif',
        global: 'onprem-internet',
        'interface-endpoint': 'onprem-private-vif',
        accelerate: 'onprem-internet',
      },
    },
  };

  let s3: LabS3;
  beforeEach(async () => {
    s3 = await startLabS3();
  });
  afterEach(async () => {
    await s3.close();
  });

  for (const name of ['default', 'nat-override']) {
    it(`resolves each style's presigned host and routes it as the vantage would (${name})`, async () => {
      const s = await loadLabScenario(scenarioFile(name));
      const network = await startLabNetwork(s, s3);
      try {
        for (const [vantageId, byStyle] of Object.entries(expected[name]!)) {
          const v = network.vantage(vantageId);
          for (const style of STYLES) {
            const host = hostOf(await presign(s, s3, style));
            const [address] = v.resolve(host);
            expect(address, `${vantageId} ${style} ${host}`).toBeDefined();
            expect([style, v.route(address!).path]).toEqual([style, byStyle[style]]);
            const target = v.connectTarget(address!, 443);
            expect(target?.host).toBe(network.pathAddresses.get(byStyle[style]));
          }
        }
      } finally {
        await network.close();
      }
    });
  }

  it('prefers a CIDR route to a prefix-list route of the same length, and follows private DNS when it is on', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const tie = structuredClone(base);
    tie.vpcs[0]!.routeTables[0]!.routes.push({
      destination: '52.216.0.0/15',
      target: 'nat-0f6f6f6f6f6f6f6f6',
    });
    const app = tie.vantages[0]!;
    const viaNat = traceLabPath(tie, app, '52.216.8.100');
    expect(viaNat.path).toBe('nat-gateway');
    expect(viaNat.hops[0]?.route).toMatch(
      /^rtb-0c3c3c3c3c3c3c3c3 .*52\.216\.0\.0\/15.* nat-0f6f6f6f6f6f6f6f6$/,
    );
    // Another prefix-list block, same table: still the gateway endpoint.
    const viaEndpoint = traceLabPath(tie, app, '54.231.10.1');
    expect(viaEndpoint.path).toBe('gateway-endpoint');
    expect(viaEndpoint.reason).toMatch(/pl-63a5400a.*54\.231\.0\.0\/16.*vpce-0d4d4d4d4d4d4d4d4/);

    const privateDns = structuredClone(base);
    privateDns.vpcs[0]!.interfaceEndpoints[0]!.privateDns = 'on';
    const regional = `${BUCKET}.s3.us-east-1.amazonaws.com`;
    expect(resolveLabName(privateDns, privateDns.vantages[0]!, regional)).toEqual(['10.0.1.200']);
    // On-prem keeps public answers until it forwards to an inbound resolver.
    expect(resolveLabName(privateDns, privateDns.vantages[1]!, regional)).toEqual(['52.216.8.100']);
    // Private DNS covers regional names only: the legacy global name stays public.
    expect(resolveLabName(privateDns, privateDns.vantages[0]!, `${BUCKET}.s3.amazonaws.com`)).toEqual([
      '52.217.36.12',
    ]);
  });

  it('resolves the MRAP name to Global Accelerator addresses, or through an s3-global.accesspoint endpoint to its ENIs', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const mrapHost = 'mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com';
    const [app, dc] = [base.vantages[0]!, base.vantages[1]!];
    expect(resolveLabName(base, app, mrapHost)).toEqual(['75.2.60.5', '99.83.190.51']);
    // Outside the S3 prefix list: the default route, so the NAT gateway; on-prem the internet.
    expect(traceLabPath(base, app, '75.2.60.5')).toMatchObject({ path: 'nat-gateway', private: false });
    expect(traceLabPath(base, dc, '75.2.60.5')).toMatchObject({ path: 'onprem-internet', private: false });
    // Another alias is no name the lab knows.
    expect(resolveLabName(base, app, 'aaaaaaaaaaaaa.mrap.accesspoint.s3-global.amazonaws.com')).toEqual([]);
    // A regional S3 interface endpoint with private DNS does not answer MRAP names.
    const regionalDns = structuredClone(base);
    regionalDns.vpcs[0]!.interfaceEndpoints[0]!.privateDns = 'on';
    expect(resolveLabName(regionalDns, regionalDns.vantages[0]!, mrapHost)).toEqual([
      '75.2.60.5',
      '99.83.190.51',
    ]);

    const pl = await loadLabScenario(scenarioFile('mrap-privatelink'));
    const [plApp, plDc] = [pl.vantages[0]!, pl.vantages[1]!];
    expect(resolveLabName(pl, plApp, mrapHost)).toEqual(['10.0.1.210']);
    expect(resolveLabName(pl, plDc, mrapHost)).toEqual(['10.0.1.210']);
    expect(traceLabPath(pl, plApp, '10.0.1.210')).toMatchObject({
      path: 'interface-endpoint',
      endpoint: { kind: 'interface', vpcEndpointId: 'vpce-0e7e7e7e7e7e7e7e7' },
    });
    expect(traceLabPath(pl, plDc, '10.0.1.210')).toMatchObject({ path: 'onprem-private-vif', private: true });
    // Without the inbound resolver on-prem DNS is public again; with private DNS off, the VPC's too.
    const publicDns = parseLabScenario({
      ...structuredClone(pl),
      onPrem: { ...pl.onPrem, dnsMode: 'public' },
    });
    expect(resolveLabName(publicDns, publicDns.vantages[1]!, mrapHost)).toEqual([
      '75.2.60.5',
      '99.83.190.51',
    ]);
    const off = structuredClone(pl);
    off.vpcs[0]!.globalAccessPointEndpoint!.privateDns = 'off';
    expect(resolveLabName(off, off.vantages[0]!, mrapHost)).toEqual(['75.2.60.5', '99.83.190.51']);
    // The environment lists the endpoint with its service, which the classifier reads.
    expect(
      scenarioEnvironment(pl).interfaceEndpoints.map((e) => [e.vpcEndpointId, e.serviceName]),
    ).toContainEqual(['vpce-0e7e7e7e7e7e7e7e7', 'com.amazonaws.s3-global.accesspoint']);
  });

  it('refuses MRAP addresses inside the S3 prefix list: MRAP names never resolve there', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    const bad = structuredClone(s) as { mrap: { addresses: string[] } };
    bad.mrap.addresses = ['52.216.8.200'];
    expect(() => parseLabScenario(bad, 'bad.json')).toThrow(
      /bad\.json: mrap\.addresses\[0\]: 52\.216\.8\.200 is in the S3 prefix list/,
    );
  });

  it('answers no name outside S3 and refuses addresses no route delivers', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    const network = await startLabNetwork(s, s3);
    try {
      const vpc = network.vantage('vpc-app');
      const onprem = network.vantage('onprem-dc1');
      expect(vpc.resolve('example.com')).toEqual([]);
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        vpc.lookup('example.com', { all: true }, (e) => resolve(e)),
      );
      expect(err?.code).toBe('ENOTFOUND');
      // A VPC address that is not an endpoint ENI, seen from on-prem and from the VPC.
      expect(onprem.route('10.0.3.4')).toMatchObject({ path: 'dropped', delivered: false, private: false });
      expect(vpc.route('10.0.3.4')).toMatchObject({ path: 'dropped', delivered: false, private: false });
      expect(onprem.connectTarget('10.0.3.4', 443)).toBeNull();
      const code = await new Promise<string | undefined>((resolve) =>
        onprem.dial('10.0.3.4', 443).once('error', (e: NodeJS.ErrnoException) => resolve(e.code)),
      );
      expect(code).toBe('EHOSTUNREACH');
      expect(network.flowRecords()).toEqual([]);
    } finally {
      await network.close();
    }
  });
});

describe('lab forwarders', () => {
  let s3: LabS3;
  let network: LabNetwork | null = null;

  beforeEach(async () => {
    s3 = await startLabS3({
      buckets: [
        { name: BUCKET, logging: { targetBucket: LOGS, targetPrefix: `${BUCKET}/` } },
        { name: LOGS },
      ],
    });
    s3.putObject(BUCKET, KEY, BODY);
  });
  afterEach(async () => {
    await network?.close();
    network = null;
    await s3.close();
  });

  /** Records by ENI, parsed back from the flow log files with the lab's format. */
  async function flowFiles(dir: string): Promise<Map<string, FlowRecord[]>> {
    const out = new Map<string, FlowRecord[]>();
    for (const file of (await readdir(dir)).sort()) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(isLoopbackText(text), `${file} must not carry loopback addresses`).toBe(false);
      const rejects = new RejectCounter();
      out.set(file.replace(/\.log$/, ''), parseFlowLogText(text, { format: LAB_FLOW_LOG_FORMAT, rejects }));
      expect(rejects.count).toBe(0);
    }
    return out;
  }

  it('carries real TCP on every path of the default scenario, with the source AWS would show and its flow records', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    network = await startLabNetwork(s, s3);
    const cases: [string, Style, string][] = [
      ['vpc-app', 'regional', '10.0.1.77'],
      ['vpc-app', 'interface-endpoint', '10.0.1.77'],
      ['vpc-app', 'accelerate', '198.51.100.7'],
      ['onprem-dc1', 'regional', '203.0.113.10'],
      ['onprem-dc1', 'interface-endpoint', '192.168.10.5'],
    ];
    for (const [vantageId, style] of cases) {
      const obs = await fetchFrom(network, vantageId, await presign(s, s3, style));
      expect([vantageId, style, obs.httpStatus, obs.error]).toEqual([vantageId, style, 200, null]);
      expect(obs.bodyBytes).toBe(BODY.length);
      // One connection at a time, so each file lists them in request order.
      await network.idle();
    }

    const log = s3.accessLogLines(BUCKET).map((l) => {
      const r = parseAccessLogString(l);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });
    expect(log.map((r) => [r.remoteIp, r.authenticationType, r.httpStatus])).toEqual(
      cases.map(([, , ip]) => [ip, 'QueryString', 200]),
    );
    expect(log[2]?.hostHeader).toBe(`${BUCKET}.s3-accelerate.amazonaws.com`);

    const files = await flowFiles(network.flowLogDir);
    // On-prem over the internet never enters the VPC: four connections leave records, not five.
    expect([...files.keys()].sort()).toEqual([
      'eni-0a7a7a7a7a7a7a7a7',
      'eni-0b8b8b8b8b8b8b8b8',
      'eni-0c9c9c9c9c9c9c9c9',
    ]);
    const all = [...files.values()].flat();
    expect(all).toHaveLength(network.flowRecords().length);
    const egress = (eni: string) =>
      files
        .get(eni)!
        .filter((r) => r.flowDirection === 'egress')
        .map((r) => [r.srcaddr, r.dstaddr, r.dstport ?? r.srcport, r.trafficPath, r.pktDstAwsService]);
    expect(egress('eni-0a7a7a7a7a7a7a7a7')).toEqual([
      ['10.0.1.77', '52.216.8.100', 443, 7, 'S3'],
      ['10.0.1.77', '10.0.1.200', 443, 1, null],
      ['10.0.1.77', '13.224.10.20', 443, 1, 'CLOUDFRONT'],
    ]);
    // The NAT gateway's ENI: the AWS example's four records, pkt-* keeping the real endpoints.
    const nat = files.get('eni-0c9c9c9c9c9c9c9c9')!;
    expect(
      nat.map((r) => [r.flowDirection, r.srcaddr, r.dstaddr, r.pktSrcaddr, r.pktDstaddr, r.trafficPath]),
    ).toEqual([
      ['ingress', '10.0.1.77', '10.0.2.10', '10.0.1.77', '13.224.10.20', null],
      // A NAT gateway is not a Nitro instance: its way out through the IGW is the ambiguous 2.
      ['egress', '10.0.2.10', '13.224.10.20', '10.0.2.10', '13.224.10.20', 2],
      ['ingress', '13.224.10.20', '10.0.2.10', '13.224.10.20', '10.0.2.10', null],
      ['egress', '10.0.2.10', '10.0.1.77', '13.224.10.20', '10.0.1.77', 1],
    ]);
    // The endpoint ENI: the VPC client's connection, then on-prem's over the private VIF (replies via the VGW).
    const endpoint = files.get('eni-0b8b8b8b8b8b8b8b8')!;
    expect(endpoint.map((r) => [r.flowDirection, r.srcaddr, r.dstaddr, r.trafficPath])).toEqual([
      ['ingress', '10.0.1.77', '10.0.1.200', null],
      ['egress', '10.0.1.200', '10.0.1.77', 1],
      ['ingress', '192.168.10.5', '10.0.1.200', null],
      ['egress', '10.0.1.200', '192.168.10.5', 3],
    ]);
    for (const r of all) {
      expect(r).toMatchObject({
        version: 5,
        accountId: '123456789012',
        vpcId: 'vpc-0abcdef0123456789',
        protocol: 6,
      });
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.start).toBeLessThanOrEqual(r.end!);
    }
    // Requests carried bytes both ways: what the client sent is what the server received.
    const gw = files
      .get('eni-0a7a7a7a7a7a7a7a7')!
      .filter((r) => r.dstaddr === '52.216.8.100' || r.srcaddr === '52.216.8.100');
    expect(gw.map((r) => r.flowDirection)).toEqual(['egress', 'ingress']);
    expect(gw[1]!.bytes).toBeGreaterThan(BODY.length);
  });

  it('makes S3 see the NAT Elastic IP and write it in the log when a more specific route wins (nat-override)', async () => {
    const s = await loadLabScenario(scenarioFile('nat-override'));
    network = await startLabNetwork(s, s3);
    const vpc = await fetchFrom(network, 'vpc-app', await presign(s, s3, 'regional'));
    const onprem = await fetchFrom(network, 'onprem-dc1', await presign(s, s3, 'regional'));
    expect([vpc.httpStatus, onprem.httpStatus]).toEqual([200, 200]);
    expect(onprem.dns?.answers.map((a) => a.address)).toEqual(['10.0.1.200']);
    await network.idle();
    expect(
      s3
        .accessLogLines(BUCKET)
        .map((l) => (parseAccessLogString(l) as { value: { remoteIp: string } }).value.remoteIp),
    ).toEqual(['198.51.100.7', '192.168.10.5']);
    const egress = network
      .flowRecords()
      .find((r) => r.eniId === 'eni-0a7a7a7a7a7a7a7a7' && r.record.flowDirection === 'egress');
    expect(egress?.record).toMatchObject({ dstaddr: '52.216.8.100', trafficPath: 1 });
  });

  it('denies off-path requests when the bucket policy allows only the VPC endpoints (blocked)', async () => {
    await s3.close();
    const s = await loadLabScenario(scenarioFile('default'));
    s3 = await startLabS3({
      buckets: [
        {
          name: BUCKET,
          policy: allowOnlyFromVpcEndpoints([
            s.vpcs[0]!.gatewayEndpoint!.vpcEndpointId,
            s.vpcs[0]!.interfaceEndpoints[0]!.vpcEndpointId,
          ]),
        },
      ],
    });
    s3.putObject(BUCKET, KEY, BODY);
    network = await startLabNetwork(s, s3);
    const viaGateway = await fetchFrom(network, 'vpc-app', await presign(s, s3, 'regional'));
    const viaNat = await fetchFrom(network, 'vpc-app', await presign(s, s3, 'accelerate'));
    const viaVif = await fetchFrom(network, 'onprem-dc1', await presign(s, s3, 'interface-endpoint'));
    const viaInternet = await fetchFrom(network, 'onprem-dc1', await presign(s, s3, 'regional'));
    expect([viaGateway, viaNat, viaVif, viaInternet].map((o) => [o.httpStatus, o.s3ErrorCode])).toEqual([
      [200, null],
      [403, 'AccessDenied'],
      [200, null],
      [403, 'AccessDenied'],
    ]);
  });

  it('sends an internet-gateway route through its own path: the public IP when the ENI has one, a drop when not', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const publicSubnet = base.vpcs[0]!.subnets[1]!;
    const withIp = parseLabScenario({
      ...base,
      vantages: [
        {
          id: 'web',
          kind: 'vpc',
          subnetId: publicSubnet.subnetId,
          eniId: 'eni-0d1d1d1d1d1d1d1d1',
          ip: '10.0.2.50',
          publicIp: '203.0.113.77',
        },
        {
          id: 'lambda-public',
          kind: 'vpc',
          subnetId: publicSubnet.subnetId,
          eniId: 'eni-0e2e2e2e2e2e2e2e2',
          ip: '10.0.2.51',
        },
      ],
    });
    network = await startLabNetwork(withIp, s3);
    const url = await presign(withIp, s3, 'regional');
    const ok = await fetchFrom(network, 'web', url);
    // The first connection's flow record is written when the forwarder sees it close; wait for it
    // so the records below are in connection order, not in the order the two closes race.
    await network.idle();
    const dropped = await fetchFrom(network, 'lambda-public', url);
    expect(ok.httpStatus).toBe(200);
    expect(dropped.httpStatus).toBeNull();
    expect(dropped.error?.code).toBeDefined();
    await network.idle();
    expect(
      s3
        .accessLogLines(BUCKET)
        .map((l) => (parseAccessLogString(l) as { value: { remoteIp: string } }).value.remoteIp),
    ).toEqual(['203.0.113.77']);
    const egress = network.flowRecords().filter((r) => r.record.flowDirection === 'egress');
    expect(egress.map((r) => [r.eniId, r.record.trafficPath, r.record.tcpFlags])).toEqual([
      ['eni-0d1d1d1d1d1d1d1d1', 8, 3],
      ['eni-0e2e2e2e2e2e2e2e2', 8, 2],
    ]);
  });

  it('writes the flow log in a format the flow-log parser reads from its --log-format string', () => {
    const parsed = parseFlowFormat(LAB_FLOW_LOG_FORMAT_SPEC);
    expect(parsed.ok && parsed.value.fields.map((f) => f.name)).toEqual(
      LAB_FLOW_LOG_FORMAT.fields.map((f) => f.name),
    );
    expect(LAB_FLOW_LOG_FORMAT.fields).toHaveLength(29);
  });

  it('listens on loopback only, frees every port and its temporary folder on close, and starts again', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    network = await startLabNetwork(s, s3);
    for (const a of network.pathAddresses.values()) expect(a).toMatch(/^127\./);
    const v = network.vantage('vpc-app');
    const target = v.connectTarget('52.216.8.100', 443)!;
    expect((await fetchFrom(network, 'vpc-app', await presign(s, s3, 'regional'))).httpStatus).toBe(200);
    const dir = network.flowLogDir;
    await network.close();
    await network.close();
    network = null;
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const refused = await new Promise<string>((resolve) => {
      const sock = net.connect(target.port, target.host);
      sock.once('connect', () => {
        sock.destroy();
        resolve('connected');
      });
      sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    network = await startLabNetwork(s, s3);
    expect((await fetchFrom(network, 'vpc-app', await presign(s, s3, 'regional'))).httpStatus).toBe(200);
  });
});
