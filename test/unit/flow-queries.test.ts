import { describe, expect, it } from 'vitest';
import { mergeFlowQueries } from '../../shared/evidence/flow-queries.js';

const at = (m: number) => new Date(Date.UTC(2026, 10, 25, 10, m));

describe('one flow-log query for sources that read a window whole', () => {
  it('spans every window and holds every address and ENI once', () => {
    const q = mergeFlowQueries([
      { window: { from: at(5), to: at(20) }, addresses: ['52.216.8.100', '10.0.64.5'], eniIds: ['eni-2'] },
      { window: { from: at(0), to: at(12) }, addresses: ['10.0.64.21', '52.216.8.100'] },
      { window: { from: at(3), to: at(31) }, addresses: ['10.0.64.37'], eniIds: ['eni-1', 'eni-2'] },
    ]);
    expect(q).toEqual({
      window: { from: at(0), to: at(31) },
      addresses: ['10.0.64.21', '10.0.64.37', '10.0.64.5', '52.216.8.100'],
      eniIds: ['eni-1', 'eni-2'],
    });
  });

  it('is null without a query, and leaves ENIs out when none was asked', () => {
    expect(mergeFlowQueries([])).toBeNull();
    expect(mergeFlowQueries([{ window: { from: at(0), to: at(1) }, addresses: ['10.0.0.1'] }])).toEqual({
      window: { from: at(0), to: at(1) },
      addresses: ['10.0.0.1'],
    });
  });
});
