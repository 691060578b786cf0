/** Rejection codes (protocol/src/codes.ts), repeated here so the bundle does not pull in the schemas. */
export const REJECTION_CODES: Record<string, string> = {
  PAYLOAD_TOO_LARGE: 'Message larger than the contract allows',
  MALFORMED_JSON: 'Payload is not valid JSON',
  UNKNOWN_TOPIC: 'Topic is outside the wardline/v1 scheme',
  UNSUPPORTED_VERSION: 'Payload version not supported',
  SCHEMA_VIOLATION: 'Payload does not match the contract',
  UNKNOWN_KIND: 'Observation kind not defined',
  WRONG_UNIT: 'A value is not in its canonical unit',
  OUT_OF_RANGE: 'A value is outside the plausible range',
  TIMESTAMP_IN_FUTURE: 'Measurement time is in the future',
  UNKNOWN_DEVICE: 'Device is not registered',
};

/** A rejected payload for reading: pretty JSON when it parses, else the text as received. */
export function previewPayload(
  payload: string,
  payloadBytes: number,
): { text: string; json: boolean; truncated: boolean } {
  const truncated = new TextEncoder().encode(payload).length < payloadBytes;
  try {
    return { text: JSON.stringify(JSON.parse(payload), null, 2), json: true, truncated };
  } catch {
    // Control characters would break the layout and can hide content; show them as escapes.
    const text = escapeControls(payload);
    return { text, json: false, truncated };
  }
}

function escapeControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const control = (code < 0x20 && ch !== '\n' && ch !== '\t' && ch !== '\r') || code === 0x7f;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}
