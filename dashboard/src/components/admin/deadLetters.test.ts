import { describe, expect, it } from 'vitest';
import { previewPayload } from './deadLetters.js';

describe('previewPayload', () => {
  it('pretty-prints JSON', () => {
    expect(previewPayload('{"v":1,"a":[1]}', 15)).toEqual({
      text: '{\n  "v": 1,\n  "a": [\n    1\n  ]\n}',
      json: true,
      truncated: false,
    });
  });

  it('shows broken payloads as text with control characters escaped, and notes truncation', () => {
    expect(previewPayload('{"v":\u0001', 5000)).toEqual({
      text: '{"v":\\u0001',
      json: false,
      truncated: true,
    });
  });
});
