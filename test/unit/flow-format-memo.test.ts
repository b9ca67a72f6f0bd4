import { describe, expect, it } from 'vitest';
import { compileFlowFormat, flowFormatOf, parseFlowFormat } from '../../shared/flow-logs/index.js';

describe('flow formats with the same fields are one format', () => {
  it('gives the same object for a header line and the ${} spelling, so the fast check compiles once', () => {
    const header = parseFlowFormat('version account-id interface-id srcaddr dstaddr');
    const spec = parseFlowFormat('${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr}');
    if (!header.ok || !spec.ok) throw new Error('formats should parse');
    expect(header.value).toBe(spec.value);
    expect(compileFlowFormat(header.value)).toBe(compileFlowFormat(spec.value));
  });

  it('keeps formats with other fields or another order apart', () => {
    const a = flowFormatOf(['version', 'srcaddr', 'dstaddr']);
    expect(flowFormatOf(['version', 'dstaddr', 'srcaddr'])).not.toBe(a);
    expect(flowFormatOf(['version', 'srcaddr'])).not.toBe(a);
    expect(flowFormatOf(['version', 'dstaddr', 'srcaddr']).fields.map((f) => f.name)).toEqual([
      'version',
      'dstaddr',
      'srcaddr',
    ]);
  });

  it('hands out frozen formats: a caller cannot change the fields another file is parsed with', () => {
    const f = flowFormatOf(['version', 'srcaddr']);
    expect(Object.isFrozen(f)).toBe(true);
    expect(Object.isFrozen(f.fields)).toBe(true);
  });

  it('stays bounded when a file keeps announcing new formats', () => {
    const first = flowFormatOf(['version', 'srcaddr', 'dstaddr', 'start']);
    for (let i = 0; i < 300; i++) flowFormatOf(['version', `x${i}`]);
    // Forgotten after the memo started over, but equal in content: parsing is unchanged.
    const again = flowFormatOf(['version', 'srcaddr', 'dstaddr', 'start']);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
