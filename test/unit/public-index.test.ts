// The gateway's public entry exports its stable surface, and importing it starts nothing.
import { describe, expect, it } from 'vitest';
import * as gateway from '../../src/gateway/index.js';

describe('src/gateway/index.ts', () => {
  it('exports the factory, config, errors, auth, streams, blobs and WebSocket helpers', () => {
    for (const name of [
      'createGateway',
      'serve',
      'parseEnv',
      'envDefaults',
      'loadFileConfig',
      'createConfigHolder',
      'GatewayError',
      'toGatewayError',
      'authenticate',
      'scopeStreamName',
      'createStreamsEngine',
      'createBlobStore',
      'parseClientFrame',
      'HttpStats',
    ] as const) {
      // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the test walks the public index by name
      expect(typeof gateway[name], name).toBe('function');
    }
    expect(gateway.SUBSCRIBE_PATH).toBe('/v1/subscribe');
    expect(gateway.ERRORS.DRAINING).toMatchObject({ status: 503, closeCode: 1001 });
  });
});
