import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './parse-cli-args';

describe('parseCliArgs', () => {
  it('maps --quantize-embedding and --quantize-lm-head to their options, and leaves them out otherwise', () => {
    const on = parseCliArgs(['model', '--out', 'q', '--quantize-embedding', '--quantize-lm-head']);
    expect(on.kind === 'run' && on.options).toMatchObject({ quantizeEmbedding: true, quantizeLmHead: true });
    const off = parseCliArgs(['model', '--out', 'q']);
    expect(off.kind === 'run' && 'quantizeEmbedding' in off.options).toBe(false);
  });
});
