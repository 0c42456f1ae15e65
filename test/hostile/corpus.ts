// The hostile corpus (issue 12, item 2): table-driven cases, each the bytes (or frames)
// a hostile or broken client sends and the documented answer — HTTP status and error
// code, or WebSocket error frame and close code. The runners here play one case against
// a gateway and assert the answer, the one error shape, and that the gateway still
// serves (/health 200). Case tables live in cases-*.ts; the test files run them, one
// gateway per file, and end by checking that no log holds a token.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { call, expectError } from '../gateway/helpers.js';
import type { TestGateway } from '../support/gateway.js';
import {
  afterUpgrade,
  closeCodeOf,
  exchange,
  jsonFrames,
  parseFrames,
  parseResponses,
  text,
  upgradeRequest,
  type HttpAnswer,
  type Step,
} from '../support/raw-socket.js';
import { envDefaults } from '../../src/gateway/config/env.js';

/** The tokens of the corpus gateways' YAML, and tokens the cases send that must not be logged either. */
export const TOKENS = ['acme-token-1', 'globex-token-1', 'wrong-token-1234', 'hostile-query-token'];

export const CORPUS_YAML = `
tenants:
  acme:
    tokens: [acme-token-1]
  globex:
    tokens: [globex-token-1]
`;

export const ACME = { Authorization: 'Bearer acme-token-1' };

/** One expected HTTP answer: status and (for errors) the catalogue code. */
export interface Answer {
  status: number;
  code?: string;
  /** Headers the answer must carry (value or pattern), names in lower case. */
  headers?: Record<string, string | RegExp>;
}

/**
 * "At once": well before the idle timeout (the default, 30 s) that waiting for a body
 * that is not coming would end in — a tenth of it, so a loaded machine never decides.
 */
export const AT_ONCE_MS = envDefaults().CONDUIT_HTTP_IDLE_TIMEOUT_MS / 10;

/** Ended by a timer of `timerMs` (idle, headers, ping): within ten of its periods, not never. */
export const byTimer = (timerMs: number) => timerMs * 10;

/** Raw bytes to one listener and the answers, in order. */
export interface RawCase {
  name: string;
  listener?: 'http' | 'ws';
  send: Step[] | Buffer | string;
  answers: Answer[];
  /** The server must close the connection (default: not checked). */
  closes?: boolean;
  /** The last answer (or the close) must come within this many ms of connecting. */
  withinMs?: number;
  /** How long to wait for the server to close (default 3000 ms). */
  boundMs?: number;
}

/** Frames sent on an open subscription, and what the server does about them. */
export interface FrameCase {
  name: string;
  frames: Buffer[];
  /** The error frame expected (undefined: none). */
  error?: string;
  /** The close code expected (undefined: the connection stays open). */
  close?: number;
}

const asRes = (a: HttpAnswer) => ({ status: a.status, headers: a.headers, body: a.body, text: a.text });

function expectAnswer(got: HttpAnswer, want: Answer, name: string): void {
  if (want.code !== undefined) {
    expectError(asRes(got), want.status, want.code);
    expect(got.headers['content-type'], name).toMatch(/^application\/json/);
  } else {
    expect(got.status, `${name}: ${got.text}`).toBe(want.status);
    expect(got.body?.error, name).toBeUndefined();
  }
  for (const [header, value] of Object.entries(want.headers ?? {})) {
    if (typeof value === 'string') expect(got.headers[header], `${name}: ${header}`).toBe(value);
    else expect(got.headers[header], `${name}: ${header}`).toMatch(value);
  }
}

export async function runRawCase(g: TestGateway, c: RawCase): Promise<void> {
  const base = c.listener === 'ws' ? g.wsUrl : g.httpUrl;
  const ex = await exchange(base, c.send, { boundMs: c.boundMs ?? 3000 });
  const answers = parseResponses(ex.bytes);
  expect(
    answers.map((a) => a.status),
    `${c.name}: ${ex.bytes.toString('latin1').slice(0, 400)}`,
  ).toEqual(c.answers.map((a) => a.status));
  for (const [i, want] of c.answers.entries()) expectAnswer(answers[i]!, want, c.name);
  if (c.closes) expect(ex.closedByServer, `${c.name}: closed by the server`).toBe(true);
  if (c.withinMs !== undefined) expect(ex.ms, `${c.name}: ms`).toBeLessThan(c.withinMs);
}

const hasFrames = (pred: (frames: ReturnType<typeof jsonFrames>, close: number | undefined) => boolean) => {
  return (received: Buffer) => {
    if (!received.includes('\r\n\r\n')) return false;
    const frames = parseFrames(afterUpgrade(received));
    try {
      return pred(jsonFrames(frames), closeCodeOf(frames));
    } catch {
      return false;
    }
  };
};

/**
 * Subscribe over a raw socket, wait for `subscribed`, send the case's frames and read
 * what follows. A case expecting the connection to stay open sends a probe after its
 * frames — an ack of an id never delivered — and must see the probe's UNKNOWN_DELIVERY
 * error (the server handles frames in order) and no close.
 */
export async function runFrameCase(g: TestGateway, c: FrameCase, stream: string): Promise<void> {
  const probe = `probe-${stream}`;
  const steps: Step[] = [
    upgradeRequest(`/v1/subscribe?stream=${stream}`, ACME),
    { until: hasFrames((frames) => frames.some((f) => f.subscribed)) },
    ...c.frames,
  ];
  if (c.close === undefined) steps.push(text(JSON.stringify({ ack: probe })));
  const done =
    c.close === undefined
      ? hasFrames((frames) =>
          frames.some((f) => (f.error as { message?: string } | undefined)?.message?.includes(probe) ?? false),
        )
      : hasFrames((_frames, close) => close !== undefined);
  const ex = await exchange(g.wsUrl, steps, { until: done, boundMs: 3000 });
  const frames = parseFrames(afterUpgrade(ex.bytes));
  const json = jsonFrames(frames);
  const errors = json
    .map((f) => f.error as { code: string; message: string } | undefined)
    .filter((e): e is { code: string; message: string } => e !== undefined && !e.message.includes(probe));
  const what = `${c.name}: ${JSON.stringify(json).slice(0, 300)} close ${closeCodeOf(frames)}`;
  expect(parseResponses(ex.bytes)[0]?.status, what).toBe(101);
  expect(
    errors.map((e) => e.code),
    what,
  ).toEqual(c.error === undefined ? [] : [c.error]);
  for (const e of errors) expect(e.message.length, what).toBeGreaterThan(0);
  expect(closeCodeOf(frames), what).toBe(c.close);
}

/** The gateway still serves. */
export async function expectHealthy(g: TestGateway): Promise<void> {
  const [http, ws] = await Promise.all([call(`${g.httpUrl}/health`), call(`${g.wsUrl.replace(/^ws/, 'http')}/health`)]);
  expect([http.status, ws.status]).toEqual([200, 200]);
}

/** No token (configured or sent by a case) in the HTTP log, the WebSocket log or the app log. */
export async function expectNoTokenInLogs(g: TestGateway): Promise<void> {
  // Let batched log lines reach their files.
  await new Promise((r) => setTimeout(r, 200));
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  const http = await read(g.httpLog);
  const ws = await read(join(g.dir, 'logs', 'ws.jsonl'));
  const app = g.appLines.map((l) => JSON.stringify(l)).join('\n');
  expect(http.length).toBeGreaterThan(0);
  for (const token of TOKENS) {
    expect(http.includes(token), `HTTP log holds ${token}`).toBe(false);
    expect(ws.includes(token), `WS log holds ${token}`).toBe(false);
    expect(app.includes(token), `app log holds ${token}`).toBe(false);
  }
}
