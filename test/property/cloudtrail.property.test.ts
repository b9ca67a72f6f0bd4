import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCloudTrailEvent, parseCloudTrailJson } from '../../shared/cloudtrail/index.js';

describe('CloudTrail parser properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(typeof parseCloudTrailJson(s).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary JSON, nor on events whose sections hold arbitrary JSON', () => {
    const section = fc.jsonValue();
    const event = fc.record({
      eventSource: fc.constantFrom('s3.amazonaws.com', 'kms.amazonaws.com'),
      eventName: fc.string(),
      eventTime: fc.constantFrom('2026-01-15T10:15:02Z', 'x'),
      eventCategory: fc.option(fc.constantFrom('Data', 'Management', 'NetworkActivity'), { nil: undefined }),
      managementEvent: fc.option(fc.boolean(), { nil: undefined }),
      requestParameters: section,
      additionalEventData: section,
      tlsDetails: section,
      resources: section,
      vpcEndpointId: section,
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), event), (v) => {
        const r = parseCloudTrailEvent(v);
        expect(typeof r.ok).toBe('boolean');
        if (r.ok && r.value) {
          for (const x of Object.values(r.value)) expect(x === null || typeof x === 'string').toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
