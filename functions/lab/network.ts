import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import { formatFlowHeader, formatFlowRecord } from '../../shared/flow-logs/index.js';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { CidrSet } from '../../shared/net/cidr-set.js';
import type { FetchOptions } from '../runner/fetch.js';
import type { Scenario } from './scenario.js';

export type LabPath =
  | 'gateway-endpoint'
  | 'interface-endpoint'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'onprem-private-vif'
  | 'onprem-internet';

/** The v5 custom format the lab's flow log is created with (what PathGuard's stack creates). */
/** The lab writes its flow log in the format PathGuard's stack creates. */
export const LAB_FLOW_FORMAT = PATHGUARD_FLOW_FORMAT;

interface PendingFlow {
  vantage: string;
  dst: string;
  srcPort: number;
}

/**
 * The lab network: one real TCP forwarder per path on loopback. A vantage's `lookup` answers names
 * as that vantage's DNS would; its `dial` sends the connection to the forwarder its route table (or
 * on-prem routing) picks. Each forwarder tells the S3 endpoint the source address AWS would log
 * and, when the connection ends, writes the VPC Flow Log records AWS would, with the scenario's
 * addresses (never loopback ones).
 */
export class LabNetwork {
  readonly flows: FlowRecord[] = [];
  private readonly servers = new Map<LabPath, net.Server>();
  private readonly ports = new Map<LabPath, number>();
  private readonly addresses = new Map<LabPath, string>();
  /** Upstream socket local port → the source IP AWS would log. */
  private readonly sourceByUpstreamPort = new Map<number, string>();
  /** Client socket local port → what the client meant to reach. */
  private readonly pending = new Map<number, PendingFlow>();
  /** Forwarders that finished before the dialing side saw its own connect event. */
  private readonly waiting = new Map<number, (p: PendingFlow) => void>();
  private readonly sockets = new Set<net.Socket>();
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly routes: CidrSet<string>;
  private readonly s3Cidrs: CidrSet<true>;

  constructor(
    private readonly s: Scenario,
    private readonly s3Port: number,
  ) {
    // Runner subnet route table with prefix lists expanded: most specific wins, a CIDR route beats
    // a prefix-list route of the same length (AWS's rule).
    const explicit: [string, string][] = [];
    const fromPrefixList: [string, string][] = [];
    for (const r of s.vpc.runnerSubnet.routes) {
      if (r.destination === s.s3.prefixListId) for (const c of s.s3.cidrs) fromPrefixList.push([c, r.target]);
      else explicit.push([r.destination, r.target]);
    }
    // Same block in both: the first kept wins, so explicit CIDR routes go first.
    this.routes = CidrSet.build<string>([...explicit, ...fromPrefixList], {
      onDuplicate: (kept) => kept,
    }).set;
    this.s3Cidrs = CidrSet.build<true>(s.s3.cidrs.map((cidr) => [cidr, true] as const)).set;
  }

  /** The source IP AWS would log for a connection the S3 endpoint received from `remotePort`. */
  readonly sourceIpFor = (remotePort: number): string | null =>
    this.sourceByUpstreamPort.get(remotePort) ?? null;

  async start(): Promise<void> {
    const paths: LabPath[] = [
      'gateway-endpoint',
      'interface-endpoint',
      'nat-gateway',
      'internet-gateway',
      'onprem-private-vif',
      'onprem-internet',
    ];
    for (const [i, path] of paths.entries()) {
      const server = net.createServer((client) => this.forward(path, client));
      // Each path on its own loopback address (127.0.0.11 …), as a distinct next hop.
      const address = `127.0.0.${11 + i}`;
      await new Promise<void>((r) => server.listen(0, address, r));
      this.servers.set(path, server);
      this.ports.set(path, (server.address() as net.AddressInfo).port);
      this.addresses.set(path, address);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise((r) => s.close(r))));
    this.servers.clear();
  }

  /** Resolves once every forwarded connection has closed and written its flow records. */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private settle(): void {
    if (this.active !== 0 || this.waiting.size !== 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  /** The flow log as delivered to S3: a header line, then one record per line. */
  flowLogText(): string {
    return `${formatFlowHeader(LAB_FLOW_FORMAT)}\n${this.flows.map((r) => formatFlowRecord(r, LAB_FLOW_FORMAT)).join('\n')}\n`;
  }

  /** DNS and routing of one vantage, for the runner's fetch. */
  vantage(kind: 'vpc' | 'onprem', name: string): Pick<FetchOptions, 'lookup' | 'dial'> {
    const lookup: FetchOptions['lookup'] = (host, _o, cb) => {
      const a = this.resolve(kind, host);
      if (!a) cb(Object.assign(new Error(`lab DNS: no answer for ${host}`), { code: 'ENOTFOUND' }), []);
      else cb(null, [{ address: a, family: 4 } as LookupAddress]);
    };
    const dial = (address: string, _port: number): net.Socket => {
      const path = this.pathFor(kind, address);
      if (!path) {
        // No route (or a blackhole) in the vantage's table: the SYN goes nowhere.
        const dead = new net.Socket();
        process.nextTick(() =>
          dead.destroy(
            Object.assign(new Error(`lab network: no route to ${address}`), { code: 'EHOSTUNREACH' }),
          ),
        );
        return dead;
      }
      const sock = net.connect(this.ports.get(path)!, this.addresses.get(path)!);
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
      sock.once('connect', () => {
        const port = sock.localPort ?? 0;
        const flow = { vantage: name, dst: address, srcPort: port };
        const waiter = this.waiting.get(port);
        this.waiting.delete(port);
        if (waiter) waiter(flow);
        else this.pending.set(port, flow);
      });
      return sock;
    };
    return { lookup, dial };
  }

  private resolve(kind: 'vpc' | 'onprem', host: string): string | null {
    const h = host.toLowerCase();
    const ie = this.s.vpc.interfaceEndpoint;
    const vpceSuffix = ie.dnsName.replace(/^\*\./, '');
    if (h === vpceSuffix || h.endsWith(`.${vpceSuffix}`)) return ie.ip;
    if (/\.s3-accelerate(\.dualstack)?\.amazonaws\.com$/.test(h)) return this.s.accelerateEdgeAddress;
    if (/(^|\.)s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.test(h)) {
      // Regional names resolve to the endpoint's private IPs only through its private DNS: in the
      // VPC when private DNS is on, on-prem only through an inbound resolver as well.
      const privateDns = ie.privateDns !== 'off';
      if (kind === 'vpc' && ie.privateDns === 'on' && h.includes(`.${this.s.region}.`)) return ie.ip;
      if (
        kind === 'onprem' &&
        privateDns &&
        this.s.onPrem.dnsMode === 'inbound-resolver' &&
        h.includes(`.${this.s.region}.`)
      )
        return ie.ip;
      return this.s.s3.publicAddress;
    }
    return null;
  }

  /** The path a vantage's route picks for an address, or null when nothing carries it. */
  pathFor(kind: 'vpc' | 'onprem', address: string): LabPath | null {
    if (kind === 'onprem')
      return address === this.s.vpc.interfaceEndpoint.ip ? 'onprem-private-vif' : 'onprem-internet';
    const target = this.routes.get(address) ?? '';
    if (target === 'local') return address === this.s.vpc.interfaceEndpoint.ip ? 'interface-endpoint' : null;
    if (target.startsWith('vpce-')) return 'gateway-endpoint';
    if (target.startsWith('nat-')) return 'nat-gateway';
    if (target.startsWith('igw-')) return 'internet-gateway';
    return null;
  }

  private sourceIp(path: LabPath): string | null {
    switch (path) {
      case 'internet-gateway':
        // An ENI without a public IP cannot use an internet gateway (Lambda ENIs never have one).
        return this.s.vpc.lambdaEni.publicIp ?? null;
      case 'gateway-endpoint':
      case 'interface-endpoint':
        return this.s.vpc.lambdaEni.ip;
      case 'nat-gateway':
        return this.s.vpc.natGateway.publicIp;
      case 'onprem-private-vif':
        return this.s.onPrem.hostIp;
      case 'onprem-internet':
        return this.s.onPrem.publicEgressIp;
    }
  }

  private forward(path: LabPath, client: net.Socket): void {
    const started = Math.floor(Date.now() / 1000);
    const clientPort = client.remotePort ?? 0;
    let up = 0;
    let down = 0;
    const source = this.sourceIp(path);
    this.sockets.add(client);
    this.active++;
    if (source === null) {
      // The packets leave the ENI (and are logged there) but nothing comes back.
      client.once('close', () => {
        this.sockets.delete(client);
        const end = Math.floor(Date.now() / 1000);
        this.whenDialed(clientPort, (p) => this.writeFlows(path, p, 0, 0, started, end));
        this.active--;
        this.settle();
      });
      client.destroy();
      return;
    }
    const upstream = net.connect(this.s3Port, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.once('connect', () => this.sourceByUpstreamPort.set(upstream.localPort ?? 0, source));
    client.on('data', (d: Buffer) => {
      up += d.length;
    });
    upstream.on('data', (d: Buffer) => {
      down += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      const end = Math.floor(Date.now() / 1000);
      this.whenDialed(clientPort, (p) => this.writeFlows(path, p, up, down, started, end));
      this.active--;
      this.settle();
    };
    client.on('close', finish);
    upstream.on('close', finish);
    client.on('error', finish);
    upstream.on('error', finish);
  }

  /** Runs `fn` with what the client on `port` dialed, now or once its connect event arrives. */
  private whenDialed(port: number, fn: (p: PendingFlow) => void): void {
    const p = this.pending.get(port);
    this.pending.delete(port);
    if (p) fn(p);
    else
      this.waiting.set(port, (q) => {
        fn(q);
        this.settle();
      });
  }

  private writeFlows(
    path: LabPath,
    p: PendingFlow,
    up: number,
    down: number,
    start: number,
    end: number,
  ): void {
    const s = this.s;
    const v = s.vpc;
    const pk = (b: number) => Math.max(1, Math.ceil(b / 1400) + 2);
    const s3svc = (a: string) => (this.s3Cidrs.has(a) ? 'S3' : null);
    const base = (o: Partial<FlowRecord>): FlowRecord => ({
      version: 5,
      accountId: s.accountId,
      protocol: 6,
      start,
      end: Math.max(end, start),
      action: 'ACCEPT',
      logStatus: 'OK',
      vpcId: v.vpcId,
      instanceId: null,
      type: 'IPv4',
      region: s.region,
      azId: 'use1-az4',
      pktSrcAwsService: null,
      pktDstAwsService: null,
      ...o,
    });
    const lambda = v.lambdaEni.ip;
    const runner = (o: Partial<FlowRecord>) =>
      base({ interfaceId: v.lambdaEni.eniId, subnetId: v.runnerSubnet.subnetId, ...o });
    if (path === 'gateway-endpoint' || path === 'internet-gateway') {
      this.flows.push(
        runner({
          srcaddr: lambda,
          dstaddr: p.dst,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: lambda,
          pktDstaddr: p.dst,
          pktDstAwsService: s3svc(p.dst),
          flowDirection: 'egress',
          trafficPath: path === 'gateway-endpoint' ? 7 : 8,
        }),
      );
      // A connection the internet gateway could not carry has no reply.
      if (down > 0)
        this.flows.push(
          runner({
            srcaddr: p.dst,
            dstaddr: lambda,
            srcport: 443,
            dstport: p.srcPort,
            packets: pk(down),
            bytes: down,
            tcpFlags: 19,
            pktSrcaddr: p.dst,
            pktDstaddr: lambda,
            pktSrcAwsService: s3svc(p.dst),
            flowDirection: 'ingress',
            trafficPath: null,
          }),
        );
    } else if (path === 'interface-endpoint') {
      const ie = v.interfaceEndpoint;
      this.flows.push(
        runner({
          srcaddr: lambda,
          dstaddr: ie.ip,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: lambda,
          pktDstaddr: ie.ip,
          flowDirection: 'egress',
          trafficPath: 1,
        }),
        base({
          interfaceId: ie.eniId,
          subnetId: v.runnerSubnet.subnetId,
          srcaddr: lambda,
          dstaddr: ie.ip,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: lambda,
          pktDstaddr: ie.ip,
          flowDirection: 'ingress',
          trafficPath: null,
        }),
      );
    } else if (path === 'nat-gateway') {
      const n = v.natGateway;
      const natPort = 1024 + (p.srcPort % 60000);
      const nat = (o: Partial<FlowRecord>) => base({ interfaceId: n.eniId, subnetId: n.subnetId, ...o });
      this.flows.push(
        // On the runner's ENI the packet is addressed to the remote; the route sends it to the NAT.
        runner({
          srcaddr: lambda,
          dstaddr: p.dst,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: lambda,
          pktDstaddr: p.dst,
          pktDstAwsService: s3svc(p.dst),
          flowDirection: 'egress',
          trafficPath: 1,
        }),
        // On the NAT gateway's ENI: the pre-translation record, then the translated one.
        nat({
          srcaddr: lambda,
          dstaddr: n.privateIp,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: lambda,
          pktDstaddr: p.dst,
          flowDirection: 'ingress',
          trafficPath: null,
        }),
        nat({
          srcaddr: n.privateIp,
          dstaddr: p.dst,
          srcport: natPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: n.privateIp,
          pktDstaddr: p.dst,
          pktDstAwsService: s3svc(p.dst),
          flowDirection: 'egress',
          trafficPath: 8,
        }),
      );
    } else if (path === 'onprem-private-vif') {
      const ie = v.interfaceEndpoint;
      const onprem = s.onPrem.hostIp;
      this.flows.push(
        base({
          interfaceId: ie.eniId,
          subnetId: v.runnerSubnet.subnetId,
          srcaddr: onprem,
          dstaddr: ie.ip,
          srcport: p.srcPort,
          dstport: 443,
          packets: pk(up),
          bytes: up,
          tcpFlags: 3,
          pktSrcaddr: onprem,
          pktDstaddr: ie.ip,
          flowDirection: 'ingress',
          trafficPath: null,
        }),
        base({
          interfaceId: ie.eniId,
          subnetId: v.runnerSubnet.subnetId,
          srcaddr: ie.ip,
          dstaddr: onprem,
          srcport: 443,
          dstport: p.srcPort,
          packets: pk(down),
          bytes: down,
          tcpFlags: 19,
          pktSrcaddr: ie.ip,
          pktDstaddr: onprem,
          flowDirection: 'egress',
          trafficPath: 3,
        }),
      );
    }
    // On-prem over the internet never enters the VPC: no flow record, as in AWS.
  }
}
