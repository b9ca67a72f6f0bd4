/**
 * FlowPathMemo (the `classify --summary` cache) gives every record the path classifyFlowRecord
 * gives it, on random environments and random records drawn so that keys repeat, with a cache
 * small enough to be forgotten and rebuilt mid-run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOW_MEMO_KEY_FIELDS, FlowPathMemo } from '../../shared/classify/flow-memo.js';
import { classifyFlowRecord, FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { ENIS, environment, SUBNETS, scene } from './flow-env-arbitraries.js';

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
        // A tiny table is forgotten and refilled many times within one run.
        const memos = [new FlowPathMemo(idx), new FlowPathMemo(idx, 16)];
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
});
