// The hostile corpus's size and shape (issue 12, item 2: at least 60 distinct cases).
import { describe, expect, it } from 'vitest';
import { HTTP_CASES } from './cases-http.js';
import { MULTIPART_CASES } from './cases-multipart.js';
import { SOCKET_CASES } from './cases-sockets.js';
import { FRAME_CASES, HANDSHAKE_CASES } from './cases-ws.js';

const TABLES = {
  http: HTTP_CASES,
  multipart: MULTIPART_CASES,
  'ws handshakes': HANDSHAKE_CASES,
  'ws frames': FRAME_CASES,
  sockets: SOCKET_CASES,
};

describe('the hostile corpus', () => {
  const all = Object.values(TABLES).flat();

  it('has at least 60 cases, each with a distinct name', () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
  });

  it('covers every area: HTTP, multipart, WebSocket handshakes and frames, slow sockets', () => {
    for (const [area, cases] of Object.entries(TABLES)) expect(cases.length, area).toBeGreaterThanOrEqual(10);
  });
});
