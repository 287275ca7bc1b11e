import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HandshakeSignatureInput } from '../../src/protocol/signature.js';
import { handshakeSignature, handshakeSignedString } from '../../src/protocol/signature.js';

/** The reference computation, written independently of the code under test. */
function reference(secret: string, clientId: string, instanceId: string, streamId: string): string {
  return createHmac('sha256', secret).update(`${clientId},${instanceId},${streamId}`).digest('hex');
}

const INPUTS: readonly HandshakeSignatureInput[] = [
  {
    clientId: 'yS8k2mZ1Q0aW3dE4rT5y',
    clientSecret: 'Kq9vN2xL7pR4tW8zB1cD6fG3hJ5mS0aE',
    instanceId: '4cVHn7mWQ/+8J9k2lLy1dw==',
    streamId: '03db704592624398931a588dd78200cb',
  },
  {
    clientId: 'client_abc',
    clientSecret: 'secret_xyz',
    instanceId: '/+/==//++==',
    streamId: 'a1b2c3',
  },
  {
    // Video SDK: session_id as the instance id.
    clientId: 'sdk-key-123',
    clientSecret: 'sdk-secret-456',
    instanceId: 'Tq6cH7i/R6yC0a2w0e1xVw==',
    streamId: 'e3f1c0a8d2b94f6e8a7c5d4b3a291807',
  },
  {
    // Contact Center: engagement_id as the instance id; non-ASCII secret.
    clientId: 'zcc-client',
    clientSecret: 'sécret-ü-✓',
    instanceId: 'eng_8f14e45fceea167a',
    streamId: 'stream-1',
  },
];

describe('handshakeSignature', () => {
  it.each(INPUTS)('matches an independent HMAC-SHA256 for instance id $instanceId', (input) => {
    const expected = reference(input.clientSecret, input.clientId, input.instanceId, input.streamId);
    expect(handshakeSignature(input)).toBe(expected);
  });

  it('matches a fixed known vector', () => {
    // Computed independently with `openssl dgst -sha256 -hmac secret_xyz` and Python's hmac module,
    // over "client_abc,4cVHn7mWQ/+8J9k2lLy1dw==,f2a0b3c4d5e6478899aabbccddeeff00".
    const input: HandshakeSignatureInput = {
      clientId: 'client_abc',
      clientSecret: 'secret_xyz',
      instanceId: '4cVHn7mWQ/+8J9k2lLy1dw==',
      streamId: 'f2a0b3c4d5e6478899aabbccddeeff00',
    };
    const vector = '25f8054761b134b6113854463003261167d87358b761abb6e593615381217ffb';
    expect(reference(input.clientSecret, input.clientId, input.instanceId, input.streamId)).toBe(vector);
    expect(handshakeSignature(input)).toBe(vector);
  });

  it.each(INPUTS)('is 64 lowercase hex characters ($clientId)', (input) => {
    expect(handshakeSignature(input)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs the instance id unchanged: no URL-encoding of "/", "+" or "="', () => {
    const input = INPUTS[0]!;
    const encoded = { ...input, instanceId: encodeURIComponent(input.instanceId) };
    expect(encoded.instanceId).not.toBe(input.instanceId);
    expect(handshakeSignature(encoded)).not.toBe(handshakeSignature(input));
    expect(handshakeSignature(input)).toBe(
      reference(input.clientSecret, input.clientId, '4cVHn7mWQ/+8J9k2lLy1dw==', input.streamId),
    );
  });

  it('changes with the secret', () => {
    const input = INPUTS[0]!;
    const other = handshakeSignature({ ...input, clientSecret: `${input.clientSecret}x` });
    expect(other).toMatch(/^[0-9a-f]{64}$/);
    expect(other).not.toBe(handshakeSignature(input));
  });

  it('changes with each signed field, and with their order', () => {
    const input = INPUTS[1]!;
    const base = handshakeSignature(input);
    expect(handshakeSignature({ ...input, clientId: 'client_abd' })).not.toBe(base);
    expect(handshakeSignature({ ...input, instanceId: `${input.instanceId}x` })).not.toBe(base);
    expect(handshakeSignature({ ...input, streamId: 'a1b2c4' })).not.toBe(base);
    expect(handshakeSignature({ ...input, instanceId: input.streamId, streamId: input.instanceId })).not.toBe(
      base,
    );
  });

  it('is deterministic', () => {
    const input = INPUTS[2]!;
    expect(handshakeSignature({ ...input })).toBe(handshakeSignature({ ...input }));
  });
});

describe('handshakeSignedString', () => {
  it('is clientId,instanceId,streamId with two commas and nothing else', () => {
    const input = INPUTS[0]!;
    expect(handshakeSignedString(input)).toBe(
      'yS8k2mZ1Q0aW3dE4rT5y,4cVHn7mWQ/+8J9k2lLy1dw==,03db704592624398931a588dd78200cb',
    );
    expect(handshakeSignedString({ clientId: 'a', instanceId: 'b', streamId: 'c' })).toBe('a,b,c');
  });

  it('is the exact string that is signed', () => {
    for (const input of INPUTS) {
      const hmac = createHmac('sha256', input.clientSecret)
        .update(handshakeSignedString(input))
        .digest('hex');
      expect(handshakeSignature(input)).toBe(hmac);
    }
  });

  it('does not include the secret', () => {
    const input = INPUTS[0]!;
    expect(handshakeSignedString(input)).not.toContain(input.clientSecret);
  });
});
