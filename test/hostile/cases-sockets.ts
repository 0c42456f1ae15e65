// Slow, partial and odd sockets, over raw `net` (no HTTP client can express them). The
// corpus gateway runs with SOCKET_TIMERS (idle 300 ms, headers 600 ms, WebSocket pings
// every 300 ms; sockets.test.ts), so each case takes at most a second or two; a case a
// timer ends must end within byTimer() of it. Answers as documented in docs/protocol-http.md ("Anything
// else") and the runbook's slow-client rows.
import type { RawCase } from './corpus.js';
import { ACME, byTimer } from './corpus.js';

/** The corpus gateway's timers (sockets.test.ts starts it with them). */
export const SOCKET_TIMERS = { idleMs: 300, headersMs: 600, pingMs: 300 } as const;
const { idleMs, headersMs, pingMs } = SOCKET_TIMERS;
import { httpRequest, type Step, upgradeRequest } from '../support/raw-socket.js';

const JSON_ACME = { ...ACME, 'Content-Type': 'application/json' };
const BODY = JSON.stringify({ to: 'slow', envelope: { n: 1 } });

/** `bytes` written in pieces of `size` bytes, `pauseMs` apart. */
function trickle(bytes: string, size: number, pauseMs: number): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < bytes.length; i += size) steps.push({ pauseMs }, bytes.slice(i, i + size));
  return steps;
}

const head = (length: number, path = '/v1/enqueue', headers: Record<string, string> = JSON_ACME) =>
  httpRequest({ method: 'POST', path, headers: { ...headers, 'Content-Length': String(length) } });

export const SOCKET_CASES: RawCase[] = [
  {
    name: 'a connection that sends nothing is closed (nothing to answer)',
    send: [],
    answers: [],
    closes: true,
    withinMs: byTimer(headersMs),
  },
  {
    name: 'part of a request line, then silence: closed',
    send: 'GET /hea',
    answers: [],
    closes: true,
    withinMs: byTimer(headersMs),
  },
  {
    name: 'headers half sent, then silence: closed',
    send: 'GET /health HTTP/1.1\r\nHost: x\r\n',
    answers: [],
    closes: true,
    withinMs: byTimer(headersMs),
  },
  {
    name: 'headers trickling in (slowloris): 408 REQUEST_TIMEOUT',
    send: ['GET /health HTTP/1.1\r\nHost: x\r\n', ...trickle('X-Slow: '.padEnd(60, 'a'), 1, 100)],
    answers: [{ status: 408, code: 'REQUEST_TIMEOUT', headers: { connection: 'close' } }],
    closes: true,
    withinMs: byTimer(headersMs),
  },
  {
    name: 'a body that stops arriving: 408 REQUEST_TIMEOUT',
    send: [head(100), BODY.slice(0, 10)],
    answers: [{ status: 408, code: 'REQUEST_TIMEOUT', headers: { connection: 'close' } }],
    closes: true,
    withinMs: byTimer(idleMs),
  },
  {
    name: 'an upload body that stops arriving: 408 REQUEST_TIMEOUT',
    send: [
      head(5000, '/v1/upload', { ...ACME, 'Content-Type': 'multipart/form-data; boundary=zz' }),
      '--zz\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nabc',
    ],
    answers: [{ status: 408, code: 'REQUEST_TIMEOUT' }],
    closes: true,
    withinMs: byTimer(idleMs),
  },
  {
    name: 'a body that keeps moving, slower than the idle timeout in total: 200',
    send: [head(BODY.length), ...trickle(BODY, 6, 120)],
    answers: [{ status: 200 }],
    closes: true,
  },
  {
    name: 'a request written one byte at a time: 200',
    send: trickle(httpRequest({ path: '/health' }).toString('latin1'), 1, 0),
    answers: [{ status: 200 }],
    closes: true,
  },
  {
    name: 'a request, then the client half-closes: still answered',
    send: [httpRequest({ path: '/health', close: false }), { end: true }],
    answers: [{ status: 200 }],
    closes: true,
  },
  {
    name: 'the client half-closes mid-body: 400 BAD_REQUEST',
    send: [head(100), BODY.slice(0, 10), { end: true }],
    answers: [{ status: 400, code: 'BAD_REQUEST' }],
    closes: true,
    withinMs: byTimer(idleMs),
  },
  {
    name: 'ten pipelined requests in one write: ten answers, in order',
    send: Buffer.concat([
      ...Array.from({ length: 9 }, () => httpRequest({ path: '/health', close: false })),
      httpRequest({ path: '/nope' }),
    ]),
    answers: [...Array.from({ length: 9 }, () => ({ status: 200 })), { status: 404, code: 'NOT_FOUND' }],
    closes: true,
  },
  {
    name: 'a keep-alive connection idle longer than the idle timeout between requests stays usable',
    send: [httpRequest({ path: '/health', close: false }), { pauseMs: 500 }, httpRequest({ path: '/health' })],
    answers: [{ status: 200 }, { status: 200 }],
    closes: true,
  },
  {
    name: 'a WebSocket peer that never answers pings is dropped',
    listener: 'ws',
    send: upgradeRequest('/v1/subscribe?stream=silent', ACME),
    answers: [{ status: 101 }],
    closes: true,
    withinMs: byTimer(pingMs),
  },
  {
    name: 'a WebSocket frame header, then silence: dropped',
    listener: 'ws',
    send: [upgradeRequest('/v1/subscribe?stream=half', ACME), { pauseMs: 50 }, Buffer.from([0x81, 0x8a, 1, 2])],
    answers: [{ status: 101 }],
    closes: true,
    withinMs: byTimer(pingMs),
  },
];
