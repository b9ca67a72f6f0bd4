import { describe, expect, it } from 'vitest';
import { parseHandlerEvent } from '../../functions/lib/events.js';
import { readConfigDocument } from '../../functions/lib/lambda-config.js';

describe('Lambda event validation', () => {
  it('accepts an EventBridge scheduled event', () => {
    const ev = parseHandlerEvent({
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-11-25T10:05:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/PathGuard-ProbeSchedule'],
      detail: {},
    });
    expect(ev).toEqual({
      kind: 'scheduled',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      time: new Date('2026-11-25T10:05:00Z'),
    });
  });

  it('accepts the four console events', () => {
    expect(parseHandlerEvent({ action: 'probe-now' })).toEqual({ kind: 'probe-now' });
    expect(parseHandlerEvent({ action: 'inspect-url', url: 'https://b.s3.amazonaws.com/k' })).toMatchObject({
      kind: 'inspect-url',
    });
    expect(parseHandlerEvent({ action: 'analyze', since: '2026-11-25T00:00:00Z' })).toEqual({
      kind: 'analyze',
      since: new Date('2026-11-25T00:00:00Z'),
    });
    expect(parseHandlerEvent({ action: 'explain', probeId: '01JDQ7ZT8W5M3K2Q9XG4N6V1AB' })).toEqual({
      kind: 'explain',
      probeId: '01JDQ7ZT8W5M3K2Q9XG4N6V1AB',
    });
  });

  it('refuses anything else with the accepted shapes, never echoing the event', () => {
    const secret = 'X-Amz-Signature=0123456789abcdef0123456789abcdef';
    expect(() => parseHandlerEvent({ action: 'delete-everything', url: secret })).toThrow(
      /unsupported event.*probe-now/,
    );
    try {
      parseHandlerEvent({ action: 'inspect-url', url: 5, note: secret });
    } catch (e) {
      expect((e as Error).message).not.toContain('0123456789abcdef');
    }
    expect(() => parseHandlerEvent({ action: 'explain', probeId: '../../etc' })).toThrow(
      /expected a probe id/,
    );
  });

  it('never quotes an unknown key: a secret pasted as a key is counted, not echoed', () => {
    const url = 'https://b.s3.amazonaws.com/k?X-Amz-Signature=0123456789abcdef0123456789abcdef';
    const key = `${url}\u001b[2J`;
    let message = '';
    try {
      parseHandlerEvent({ action: 'probe-now', [key]: true, [`${key}2`]: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^unsupported event \(event: 2 unknown keys\); send/);
    expect(message).not.toContain('0123456789abcdef');
    expect(message).not.toContain('\u001b');
    // Values are never quoted either, whatever zod would say about them.
    expect(() => parseHandlerEvent({ action: url })).toThrow(/\(action: not one of the accepted values\)/);
    expect(() => parseHandlerEvent({ action: 'analyze', since: url })).toThrow(
      /\(since: expected datetime\)/,
    );
  });
});

describe('PATHGUARD_CONFIG', () => {
  it('reads inline JSON and refuses what is missing or malformed', async () => {
    const never = () => {
      throw new Error('no S3 call expected');
    };
    await expect(readConfigDocument('{"region":"us-east-1"}', never)).resolves.toEqual({
      region: 'us-east-1',
    });
    await expect(readConfigDocument(undefined, never)).rejects.toThrow(/PATHGUARD_CONFIG is not set/);
    await expect(readConfigDocument('{nope', never)).rejects.toThrow(/not valid JSON/);
    await expect(readConfigDocument('s3://bucket-only', never)).rejects.toThrow(/s3:\/\/bucket\/key/);
  });
});
