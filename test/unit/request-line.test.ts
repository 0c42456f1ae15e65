import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  addExtraFields,
  lineHead,
  type RequestLine,
  requestLineLog,
} from '../../src/gateway/observability/request-line.js';
import { requestLineOf } from '../support/request-line.js';

const ISO = '2026-12-02T16:22:27.906Z';

/** The line pino wrote for `fields` with the gateway's former request-log options. */
let pinoOut = '';
const pinoLog = pino(
  { base: undefined, timestamp: () => `,"ts":"${ISO}"`, formatters: { level: (label: string) => ({ level: label }) } },
  {
    write: (s: string) => {
      pinoOut += s;
    },
  },
);
function pinoLine(fields: RequestLine): string {
  pinoOut = '';
  pinoLog.info(fields);
  return pinoOut;
}

function ourLine(fields: RequestLine, open = () => true): string {
  let out = '';
  const dest = {
    write: (s: string) => {
      out += s;
    },
  };
  const log = requestLineLog(dest, () => lineHead(ISO), open);
  log.write(fields);
  log.flush();
  return out;
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const line = fc
  .record(
    {
      reqId: text,
      ip: fc.constantFrom('127.0.0.1', '::1', '10.0.0.7'),
      tenant: text,
      method: fc.constantFrom('GET', 'POST', 'PUT'),
      path: text,
      route: text,
      status: fc.integer({ min: 100, max: 599 }),
      durMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      bytesIn: fc.nat(),
      bytesOut: fc.nat(),
      code: fc.option(fc.constantFrom('UNAUTHORIZED', 'PAYLOAD_TOO_LARGE'), { nil: undefined }),
      aborted: fc.option(fc.constant(true), { nil: undefined }),
    },
    { requiredKeys: ['reqId', 'ip', 'tenant', 'method', 'path', 'route', 'status', 'durMs', 'bytesIn', 'bytesOut'] },
  )
  .chain((base) =>
    fc
      .record(
        {
          // What addExtraFields lets through: fields of a route's own of any JSON type,
          // and numeric bytesIn/bytesOut.
          sha256: fc.oneof(text, fc.array(text, { maxLength: 3 })),
          uploadMBps: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
          note: fc.oneof(fc.boolean(), fc.constant(null), fc.dictionary(text, fc.integer(), { maxKeys: 2 })),
          bytesIn: fc.nat(),
          bytesOut: fc.double({ min: 0, max: 1e12, noNaN: true }),
        },
        { requiredKeys: [] },
      )
      .map((extra) => {
        const fields = { ...base } as RequestLine;
        addExtraFields(fields, extra);
        return fields;
      }),
  );

describe('requestLineLog', () => {
  it('writes byte for byte the line pino wrote for the same fields (escapes, numbers, extras, undefined left out)', () => {
    fc.assert(
      fc.property(line, (fields) => {
        expect(ourLine(fields)).toBe(pinoLine(fields));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the gateway’s field order, with a route’s extra fields after its own', () => {
    const out = ourLine({
      reqId: 'h-1',
      ip: '127.0.0.1',
      tenant: 'acme',
      method: 'POST',
      path: '/v1/uploads',
      route: '/v1/uploads',
      status: 201,
      durMs: 1.5,
      bytesIn: 0,
      bytesOut: 0,
      sha256: 'ab',
    });
    expect(out).toBe(
      `{"level":"info","ts":"${ISO}","reqId":"h-1","ip":"127.0.0.1","tenant":"acme","method":"POST","path":"/v1/uploads","route":"/v1/uploads","status":201,"durMs":1.5,"bytesIn":0,"bytesOut":0,"sha256":"ab"}\n`,
    );
  });

  it('still writes the line when a number is not finite (JSON null, as pino writes it)', () => {
    const fields = requestLineOf({ reqId: 'h-2', durMs: Number.NaN, bytesOut: Number.POSITIVE_INFINITY });
    const out = ourLine(fields);
    expect(JSON.parse(out)).toMatchObject({ reqId: 'h-2', durMs: null, bytesOut: null });
    expect(out).toBe(pinoLine(fields));
  });

  it('lets a route add fields and count bytesIn/bytesOut, never replace the gateway’s own fields', () => {
    const fields = { reqId: 'h-4', ip: '::1', tenant: 'acme', status: 200, bytesIn: 0, bytesOut: 0 } as RequestLine;
    addExtraFields(fields, {
      reqId: 'x',
      tenant: 'evil',
      ip: '1.2.3.4',
      status: 500,
      bytesIn: 12,
      bytesOut: 'many',
      sha256: 'ab',
    });
    expect(fields).toEqual({
      reqId: 'h-4',
      ip: '::1',
      tenant: 'acme',
      status: 200,
      bytesIn: 12,
      bytesOut: 0,
      sha256: 'ab',
    });
  });

  it('drops lines once the logs are closed', () => {
    expect(ourLine({ reqId: 'h-3' } as RequestLine, () => false)).toBe('');
  });

  it('queues the lines of one event-loop turn and writes them together, in order, when the turn ends', async () => {
    const writes: string[] = [];
    const log = requestLineLog(
      { write: (s: string) => writes.push(s) },
      () => lineHead(ISO),
      () => true,
    );
    for (let i = 0; i < 3; i++) log.write({ reqId: `h-${i}` } as RequestLine);
    expect(writes).toEqual([]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(writes).toEqual([[0, 1, 2].map((i) => `${lineHead(ISO)},"reqId":"h-${i}"}\n`).join('')]);
    log.flush();
    expect(writes).toHaveLength(1);
  });

  it('flush() writes the queue at once; a long queue goes out in chunks of whole lines', () => {
    const writes: string[] = [];
    const log = requestLineLog(
      { write: (s: string) => writes.push(s) },
      () => lineHead(ISO),
      () => true,
    );
    const pad = 'x'.repeat(500);
    for (let i = 0; i < 100; i++) log.write({ reqId: `h-${i}`, pad } as unknown as RequestLine);
    log.flush();
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.every((w) => w.endsWith('}\n'))).toBe(true);
    const got = writes
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { reqId: string });
    expect(got.map((l) => l.reqId)).toEqual(Array.from({ length: 100 }, (_, i) => `h-${i}`));
  });
});
