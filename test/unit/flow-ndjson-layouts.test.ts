// Its own file: a fresh module, so the writer's table of shared renderers starts empty here.
import { expect, it } from 'vitest';
import { flowFormatOf } from '../../shared/flow-logs/index.js';
import { FlowNdjsonWriter } from '../../shared/flow-logs/ndjson.js';

it('shares a renderer between equal formats only, never between formats that differ', () => {
  // Renderers are kept by what a format is made of (a header line's and a task's are different
  // objects); a format that types one field otherwise, under the same spec, gets its own.
  const a = flowFormatOf(['version', 'packets']);
  const same = flowFormatOf(['version', 'packets']);
  const text = { ...a, fields: a.fields.map((f) => (f.name === 'packets' ? { ...f, integer: false } : f)) };
  const line = Buffer.from('5 17\n');
  const out = (format: typeof a) => {
    const w = new FlowNdjsonWriter();
    w.region(line, 0, line.length);
    expect(w.line(line, 0, line.length - 1, format)).toBe(true);
    return Buffer.concat(w.finish()).toString();
  };
  expect(out(a)).toBe('{"version":5,"packets":17}\n');
  expect(out(same)).toBe('{"version":5,"packets":17}\n');
  expect(out(text)).toBe('{"version":5,"packets":"17"}\n');
});
