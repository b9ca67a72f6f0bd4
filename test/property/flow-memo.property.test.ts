/**
 * FlowPathMemo (the `classify --summary` cache) gives every record the path classifyFlowRecord
 * gives it, on random environments and random records drawn so that keys repeat, with a cache
 * small enough to be forgotten and rebuilt mid-run; and the same from a line's bytes (the path
 * `classify --summary` takes for a kind of record it has seen).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOW_MEMO_KEY_FIELDS, FlowPathMemo } from '../../shared/classify/flow-memo.js';
import { classifyFlowRecord, FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { compileFlowFormat } from '../../shared/flow-logs/compiled-format.js';
import { formatFlowRecord } from '../../shared/flow-logs/formatter.js';
import { parseFlowLogText } from '../../shared/flow-logs/parser.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { ENIS, environment, FORMAT, LINE_BASE, SUBNETS, scene } from './flow-env-arbitraries.js';

const DEEP = process.env.PATHGUARD_DEEP === '1';

describe('FlowPathMemo', () => {
  it('keys on every field the classifier reads', () => {
    // logStatus is read by no rule: NODATA and SKIPDATA records carry no addresses (rule 1).
    expect(new Set(FLOW_CLASSIFICATION_FIELDS)).toEqual(new Set([...FLOW_MEMO_KEY_FIELDS, 'logStatus']));
  });

  it('gives each record the path classifyFlowRecord gives it', () => {
    fc.assert(
      fc.property(scene, fc.array(fc.nat(), { minLength: 1, maxLength: 80 }), ([env, kinds], order) => {
        const idx = buildEnvironmentIndex(env);
        // A tiny table is forgotten and refilled many times within one run; so is a tiny table
        // of the codes of interface, subnet, VPC and direction.
        const memos = [new FlowPathMemo(idx), new FlowPathMemo(idx, 16), new FlowPathMemo(idx, 64, 2)];
        for (const i of order) {
          const r = kinds[i % kinds.length]!;
          const want = classifyFlowRecord(r, idx)?.path ?? null;
          for (const m of memos) expect(m.pathOf(r)).toBe(want);
        }
      }),
      { numRuns: DEEP ? 5000 : 600 },
    );
  });

  it('keeps answering exactly after more distinct texts than it remembers', () => {
    const env = fc.sample(environment, { numRuns: 1, seed: 7 })[0]!;
    const idx = buildEnvironmentIndex(env);
    const memo = new FlowPathMemo(idx);
    for (let i = 0; i < 10_000; i++) {
      const r: FlowRecord = {
        srcaddr: `10.0.${i % 256}.${(i >> 8) % 256}`,
        dstaddr: i % 3 === 0 ? '52.216.8.9' : `x${i}`,
        vpcId: `vpc-${i}`,
        subnetId: SUBNETS[i % SUBNETS.length]!,
        interfaceId: ENIS[i % ENIS.length]!,
        trafficPath: (i % 8) + 1,
        flowDirection: 'egress',
      };
      expect(memo.pathOf(r)).toBe(classifyFlowRecord(r, idx)?.path ?? null);
    }
  });

  it('gives each line the path classifyFlowRecord gives its record, from the bytes', () => {
    const fast = compileFlowFormat(FORMAT, FLOW_MEMO_KEY_FIELDS);
    let fromBytes = 0;
    fc.assert(
      fc.property(
        scene,
        fc.array(fc.tuple(fc.nat(), fc.nat(40)), { minLength: 1, maxLength: 80 }),
        ([env, kinds], order) => {
          const idx = buildEnvironmentIndex(env);
          // Tables small enough to be forgotten and refilled within one run, and a roomy one.
          const memos = [new FlowPathMemo(idx), new FlowPathMemo(idx, 16, 4), new FlowPathMemo(idx, 1024, 1)];
          // Each record followed by its twins in the other directions: lines one field apart
          // where the direction alone may change the path (which side is the interface's).
          const lines = order.flatMap(([i, pad]) =>
            [{}, { flowDirection: 'egress' }, { flowDirection: 'ingress' }].map(
              (d) => [{ ...LINE_BASE, ...kinds[i % kinds.length]!, ...d }, pad] as const,
            ),
          );
          for (const [record, pad] of lines) {
            const text = formatFlowRecord(record, FORMAT);
            // The line somewhere inside a buffer, as in a chunk of a file.
            const b = Buffer.from(`${'\n'.repeat(pad)}${text}\n`);
            if (fast.spans!(b, pad, -1) < 0) continue;
            const [r] = parseFlowLogText(text, { format: FORMAT, rejects: new RejectCounter() });
            const want = classifyFlowRecord(r!, idx)?.path ?? null;
            for (const m of memos) {
              const got = m.pathOfLine(b, fast.spanValues!);
              if (got === undefined) expect(m.pathOf(r!)).toBe(want);
              else {
                expect(got).toBe(want);
                fromBytes++;
              }
            }
          }
        },
      ),
      { numRuns: DEEP ? 2000 : 250 },
    );
    // The property held for lines answered from their bytes, not only for records.
    expect(fromBytes).toBeGreaterThan(1000);
  });

  it('tells a packet address apart from the record address it repeats, from the bytes', () => {
    // pkt-srcaddr reuses srcaddr's lookup only when both are the same dotted quad: `-` and
    // 0.0.0.0 (both read as 0 by the scan) and an IPv6 text must each get their own.
    const fast = compileFlowFormat(FORMAT, FLOW_MEMO_KEY_FIELDS);
    const envs = fc.sample(environment, { numRuns: 30, seed: 11 });
    const addresses = ['0.0.0.0', '-', '10.0.0.5', '52.216.8.1', '2600:1fa0:8000::1', '::'];
    // Without a deciding traffic-path the route table decides, and rule 9b reads pkt-srcaddr.
    const DIRECTION_PATHS = [
      ['egress', null],
      ['egress', 1],
      ['ingress', null],
    ] as const;
    let scanned = 0;
    for (const env of envs) {
      const idx = buildEnvironmentIndex(env);
      const memo = new FlowPathMemo(idx);
      for (const src of addresses)
        for (const pkt of addresses)
          for (const [flowDirection, trafficPath] of DIRECTION_PATHS) {
            const text = formatFlowRecord(
              {
                ...LINE_BASE,
                interfaceId: ENIS[0],
                srcaddr: src === '-' ? null : src,
                dstaddr: '52.216.9.9',
                pktSrcaddr: pkt === '-' ? null : pkt,
                pktDstaddr: pkt === '-' ? null : pkt,
                flowDirection,
                trafficPath,
              },
              FORMAT,
            );
            const b = Buffer.from(`${text}\n`);
            // The strict scan declines what the general parser must judge (e.g. mixed families).
            if (fast.spans!(b, 0, -1) < 0) continue;
            scanned++;
            const [r] = parseFlowLogText(text, { format: FORMAT, rejects: new RejectCounter() });
            const want = classifyFlowRecord(r!, idx)?.path ?? null;
            const got = memo.pathOfLine(b, fast.spanValues!);
            expect(got === undefined ? memo.pathOf(r!) : got).toBe(want);
          }
    }
    expect(scanned).toBeGreaterThan(envs.length * 40);
  });
});
