// Hostile WebSocket input: upgrade requests (answered over HTTP before any WebSocket
// exists, docs/protocol-ws.md "Connecting") and frames on an open subscription (error
// frames and close codes, docs/protocol-ws.md "Errors and close codes"). The corpus
// gateway runs with CONDUIT_WS_MAX_MESSAGE_SIZE = 4096 (ws.test.ts).
import type { FrameCase, RawCase } from './corpus.js';
import { ACME } from './corpus.js';
import { frame, httpRequest, text, upgradeRequest } from '../support/raw-socket.js';

const SUB = '/v1/subscribe?stream=hs';

const refused = (
  name: string,
  send: Buffer,
  status: number,
  code: string,
  headers?: Record<string, string>,
): RawCase => ({
  name: `upgrade: ${name}`,
  listener: 'ws',
  send,
  answers: [{ status, code, headers: { connection: 'close', ...headers } }],
  closes: true,
});

export const HANDSHAKE_CASES: RawCase[] = [
  refused(
    'no Sec-WebSocket-Key',
    upgradeRequest(SUB, { ...ACME, 'Sec-WebSocket-Key': undefined }),
    400,
    'INVALID_HANDSHAKE',
  ),
  refused(
    'a Sec-WebSocket-Key that is not 16 bytes',
    upgradeRequest(SUB, { ...ACME, 'Sec-WebSocket-Key': 'c2hvcnQ=' }),
    400,
    'INVALID_HANDSHAKE',
  ),
  refused(
    'Sec-WebSocket-Version 99',
    upgradeRequest(SUB, { ...ACME, 'Sec-WebSocket-Version': '99' }),
    400,
    'INVALID_HANDSHAKE',
    { 'sec-websocket-version': '13, 8' },
  ),
  refused(
    'no Sec-WebSocket-Version',
    upgradeRequest(SUB, { ...ACME, 'Sec-WebSocket-Version': undefined }),
    400,
    'INVALID_HANDSHAKE',
  ),
  refused('Upgrade: h2c', upgradeRequest(SUB, { ...ACME, Upgrade: 'h2c' }), 400, 'INVALID_HANDSHAKE'),
  refused(
    'a malformed Sec-WebSocket-Protocol',
    upgradeRequest(SUB, { ...ACME, 'Sec-WebSocket-Protocol': 'a,,b' }),
    400,
    'INVALID_HANDSHAKE',
  ),
  refused('no token', upgradeRequest(SUB), 401, 'UNAUTHORIZED'),
  refused(
    'no Host',
    Buffer.from(upgradeRequest(SUB, ACME).toString('latin1').replace('Host: 127.0.0.1\r\n', ''), 'latin1'),
    400,
    'BAD_REQUEST',
  ),
  refused('an unknown token in the query', upgradeRequest(`${SUB}&token=hostile-query-token`), 401, 'UNAUTHORIZED'),
  refused('an invalid stream name', upgradeRequest('/v1/subscribe?stream=a%20b', ACME), 400, 'INVALID_STREAM_NAME'),
  refused('no stream', upgradeRequest('/v1/subscribe', ACME), 400, 'INVALID_STREAM_NAME'),
  refused(
    "another tenant's qualified stream",
    upgradeRequest('/v1/subscribe?stream=tenant:globex/x', ACME),
    403,
    'FORBIDDEN',
  ),
  refused('an unknown path', upgradeRequest('/v1/nope', ACME), 404, 'NOT_FOUND'),
  refused(
    'POST with an upgrade',
    httpRequest({
      method: 'POST',
      path: SUB,
      headers: {
        ...ACME,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
      body: '',
      close: false,
    }),
    404,
    'NOT_FOUND',
  ),
];

const big = (n: number) => JSON.stringify({ ack: 'x'.repeat(n) });

export const FRAME_CASES: FrameCase[] = [
  { name: 'a text frame that is not JSON', frames: [text('{nope')], error: 'INVALID_JSON', close: 1007 },
  { name: 'an empty text frame', frames: [text('')], error: 'INVALID_JSON', close: 1007 },
  { name: 'a JSON object with no operation', frames: [text('{"x":1}')], error: 'UNKNOWN_OP', close: 1003 },
  { name: 'a JSON array', frames: [text('[1]')], error: 'UNKNOWN_OP', close: 1003 },
  { name: 'two operations in one frame', frames: [text('{"credit":1,"ack":"a"}')], error: 'UNKNOWN_OP', close: 1003 },
  { name: 'a binary frame', frames: [frame({ opcode: 2, payload: '{"credit":1}' })], error: 'UNKNOWN_OP', close: 1003 },
  { name: 'credit 0', frames: [text('{"credit":0}')], error: 'INVALID_CREDIT' },
  { name: 'credit -5', frames: [text('{"credit":-5}')], error: 'INVALID_CREDIT' },
  { name: 'credit 1.5', frames: [text('{"credit":1.5}')], error: 'INVALID_CREDIT' },
  { name: 'credit as a string', frames: [text('{"credit":"5"}')], error: 'INVALID_CREDIT' },
  { name: 'credit above the maximum', frames: [text('{"credit":1000000}')], error: 'INVALID_CREDIT' },
  { name: 'ack of an id never delivered', frames: [text('{"ack":"never"}')], error: 'UNKNOWN_DELIVERY' },
  { name: 'ack without a string id', frames: [text('{"ack":5}')], error: 'UNKNOWN_DELIVERY' },
  { name: 'nack with a negative delay', frames: [text('{"nack":"never","delayMs":-1}')], error: 'VALIDATION_FAILED' },
  {
    name: 'a frame over CONDUIT_WS_MAX_MESSAGE_SIZE',
    frames: [text(big(5000))],
    error: 'FRAME_TOO_LARGE',
    close: 1009,
  },
  { name: 'a frame over twice the size limit (no error frame)', frames: [text(big(9000))], close: 1009 },
  {
    name: 'invalid UTF-8 in a text frame (no error frame)',
    frames: [text(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
    close: 1007,
  },
  {
    name: 'an unmasked frame (no error frame)',
    frames: [frame({ opcode: 1, payload: '{"credit":1}', mask: false })],
    close: 1002,
  },
  {
    name: 'RSV1 set without an extension (no error frame)',
    frames: [frame({ opcode: 1, payload: '{"credit":1}', rsv1: true })],
    close: 1002,
  },
  {
    name: 'a ping over 125 bytes (no error frame)',
    frames: [frame({ opcode: 9, payload: 'p'.repeat(200) })],
    close: 1002,
  },
  { name: 'a fragmented ping (no error frame)', frames: [frame({ opcode: 9, payload: 'p', fin: false })], close: 1002 },
  { name: 'an unknown opcode (no error frame)', frames: [frame({ opcode: 3, payload: 'x' })], close: 1002 },
  {
    name: 'a continuation with nothing to continue (no error frame)',
    frames: [frame({ opcode: 0, payload: 'x' })],
    close: 1002,
  },
  {
    name: 'a new text frame inside a fragmented message (no error frame)',
    frames: [frame({ opcode: 1, payload: '{"cre', fin: false }), text('{"credit":1}')],
    close: 1002,
  },
  {
    name: 'a valid fragmented message',
    frames: [frame({ opcode: 1, payload: '{"ack":', fin: false }), frame({ opcode: 0, payload: '"frag"}' })],
    error: 'UNKNOWN_DELIVERY',
  },
  {
    name: 'a close frame with a reserved code 1005 (no error frame)',
    frames: [frame({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })],
    close: 1002,
  },
  {
    name: 'a close frame with a one-byte payload (no error frame)',
    frames: [frame({ opcode: 8, payload: Buffer.from([0x03]) })],
    close: 1002,
  },
  {
    name: 'a close reason that is not UTF-8 (no error frame)',
    frames: [frame({ opcode: 8, payload: Buffer.from([0x03, 0xe8, 0xff]) })],
    close: 1007,
  },
  {
    name: 'a normal close 1000 is answered 1000',
    frames: [frame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) })],
    close: 1000,
  },
  { name: 'a ping with a payload (answered, stays open)', frames: [frame({ opcode: 9, payload: 'hello' })] },
];
