// The generator's HTTP/1.1 response parser, fed real response bytes split at every
// possible position: framing, keep-alive, JSON bodies and malformed input.
import { describe, expect, it } from 'vitest';
import { HttpParseError, ResponseParser } from '../../src/load/internal/http1/response-parser.js';

interface Parsed {
  done: boolean;
  status: number;
  body: string | undefined;
  bodyBytes: number;
  keepAlive: boolean;
  json: boolean;
  trailing: number;
  keepAliveHintMs: number;
}

function parse(parts: readonly Buffer[], { head = false, keepJson = true, close = false } = {}): Parsed {
  const p = new ResponseParser();
  p.start(head, keepJson);
  let done = false;
  for (const part of parts) done = p.execute(part);
  if (close && !done) done = p.finish();
  return {
    done,
    status: p.status,
    body: p.body()?.toString(),
    bodyBytes: p.bodyBytes,
    keepAlive: p.keepAlive,
    json: p.json,
    trailing: p.trailing,
    keepAliveHintMs: p.keepAliveHintMs,
  };
}

/** The same bytes whole, in two pieces at every split point, and byte by byte: one answer. */
function parseEverySplit(text: string, options?: Parameters<typeof parse>[1]): Parsed {
  const bytes = Buffer.from(text, 'latin1');
  const whole = parse([bytes], options);
  for (let i = 1; i < bytes.length; i++) {
    expect(parse([bytes.subarray(0, i), bytes.subarray(i)], options), `split at ${i}`).toEqual(whole);
  }
  const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  expect(parse(single, options), 'byte by byte').toEqual(whole);
  return whole;
}

const JSON_BODY = '{"id":"m1","stream":"s"}';

describe('ResponseParser', () => {
  it('reads a Content-Length response with a JSON body, wherever the bytes are split', () => {
    const text =
      'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\nContent-Length: 24\r\n' +
      'Connection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n' +
      JSON_BODY;
    expect(parseEverySplit(text)).toEqual({
      done: true,
      status: 200,
      body: JSON_BODY,
      bodyBytes: 24,
      keepAlive: true,
      json: true,
      trailing: 0,
      keepAliveHintMs: 72_000,
    });
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const text =
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n' +
      '5;name=value\r\n{"id"\r\n13 \r\n:"m1","stream":"s"}\r\n0\r\nX-Trailer: yes\r\n\r\n';
    expect(parseEverySplit(text)).toMatchObject({
      done: true,
      status: 201,
      body: JSON_BODY,
      bodyBytes: 24,
      keepAlive: true,
    });
  });

  it('keeps only JSON bodies, and only when asked; counts every body byte', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';
    expect(parseEverySplit(text)).toMatchObject({ done: true, body: undefined, bodyBytes: 2, json: false });
    const json = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n${JSON_BODY}`;
    expect(parse([Buffer.from(json)], { keepJson: false })).toMatchObject({
      done: true,
      body: undefined,
      bodyBytes: 24,
      json: true,
    });
  });

  it('skips interim 1xx heads', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    expect(parseEverySplit(text)).toMatchObject({ done: true, status: 200, bodyBytes: 2 });
  });

  it('answers to HEAD, 204 and 304 end with the head, whatever Content-Length says', () => {
    expect(parseEverySplit('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', { head: true })).toMatchObject({
      done: true,
      bodyBytes: 0,
    });
    expect(parseEverySplit('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({
      done: true,
      status: 204,
      keepAlive: true,
    });
    expect(parseEverySplit('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({
      done: true,
      status: 304,
    });
  });

  it('a body without length runs to the close, and the socket is not reused', () => {
    const text = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n${JSON_BODY}`;
    const open = parse([Buffer.from(text)]);
    expect(open).toMatchObject({ done: false, keepAlive: false });
    expect(parseEverySplit(text, { close: true })).toMatchObject({ done: true, body: JSON_BODY, keepAlive: false });
    // Another coding than chunked last: also until the close, even with a Content-Length.
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nokmore')]),
    ).toMatchObject({ done: false, keepAlive: false });
  });

  it('a truncated body does not complete on close', () => {
    expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort')], { close: true })).toMatchObject({
      done: false,
      bodyBytes: 5,
    });
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc')], { close: true }),
    ).toMatchObject({ done: false });
    expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Len')], { close: true })).toMatchObject({ done: false });
  });

  it('keep-alive follows the version and the Connection header', () => {
    const reply = (head: string) => parse([Buffer.from(`${head}\r\nContent-Length: 0\r\n\r\n`)]).keepAlive;
    expect(reply('HTTP/1.1 200 OK')).toBe(true);
    expect(reply('HTTP/1.1 200 OK\r\nConnection: close')).toBe(false);
    expect(reply('HTTP/1.1 200 OK\r\nconnection: Keep-Alive, Close')).toBe(false);
    expect(reply('HTTP/1.0 200 OK')).toBe(false);
    expect(reply('HTTP/1.0 200 OK\r\nConnection: keep-alive')).toBe(true);
  });

  it('counts bytes after the end of the response as trailing (unsolicited)', () => {
    const p = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1')]);
    expect(p).toMatchObject({ done: true, bodyBytes: 2, trailing: 8 });
  });

  it('a status line without a reason phrase is fine', () => {
    expect(parseEverySplit('HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ done: true, status: 503 });
  });

  it.each([
    ['a bad status line', 'HTTP/2 200 OK\r\n\r\n'],
    ['a non-numeric status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data without CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX'],
    ['a chunk size without digits', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['an upgrade', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
  ])('throws HttpParseError on %s', (_what, text) => {
    const p = new ResponseParser();
    p.start(false, true);
    let thrown: unknown;
    try {
      p.execute(Buffer.from(text));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpParseError);
    expect((thrown as HttpParseError).code).toBe('HTTP_PARSE_ERROR');
  });

  it('refuses a head longer than 64 KiB, even when it arrives in pieces', () => {
    const p = new ResponseParser();
    p.start(false, true);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n'));
    const line = Buffer.from(`X-Big: ${'a'.repeat(1000)}\r\n`);
    expect(() => {
      for (let i = 0; i < 70; i++) p.execute(line);
    }).toThrow(HttpParseError);
  });

  it('is reusable: start() forgets the previous response', () => {
    const p = new ResponseParser();
    p.start(false, true);
    expect(
      p.execute(
        Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n${JSON_BODY}`),
      ),
    ).toBe(true);
    p.start(false, true);
    expect(p.execute(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!'))).toBe(true);
    expect([p.status, p.json, p.body(), p.bodyBytes]).toEqual([404, false, undefined, 3]);
  });
});
