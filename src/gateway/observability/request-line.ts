// The HTTP request log's line writer. Every request writes one line, so the line is
// serialized by a function fast-json-stringify compiles once for its known fields
// (Fastify's own serializer), not by pino's generic per-key walk: half the cost per
// line (docs/performance.md). The line is the one pino wrote before, byte for byte in
// field order: `{"level":"info","ts":"<ISO time>", <fields in order>}` + "\n", fields
// whose value is undefined left out, a route's extra fields (request.logExtra) after
// the gateway's own. It goes to the same destination as the `http` pino logger, so the
// two never interleave within a line; lines are queued for the end of the event-loop
// turn, and the loggers flush the queue before a line of their own reaches that file,
// so the file keeps the order in which lines were logged.
import fastJson from 'fast-json-stringify';

/** The fields of one request's line (docs/observability.md lists them). */
export interface RequestLine {
  reqId: string;
  ip: string;
  tenant: string;
  method: string;
  path: string;
  route: string;
  status: number;
  durMs: number;
  bytesIn: number;
  bytesOut: number;
  code?: string;
  aborted?: boolean;
  /** A route's own fields (uploads: sha256, MB/s, …). */
  [extra: string]: unknown;
}

export interface RequestLineLog {
  /** Queue one request's line (written when the event-loop turn ends, or at flush()). */
  write(line: RequestLine): void;
  /** Serialize and write every queued line now. */
  flush(): void;
}

const serializeFields = fastJson({
  type: 'object',
  properties: {
    reqId: { type: 'string' },
    ip: { type: 'string' },
    tenant: { type: 'string' },
    method: { type: 'string' },
    path: { type: 'string' },
    route: { type: 'string' },
    status: { type: 'integer' },
    durMs: { type: 'number' },
    bytesIn: { type: 'number' },
    bytesOut: { type: 'number' },
    code: { type: 'string' },
    aborted: { type: 'boolean' },
  },
  additionalProperties: true,
});

/** The gateway's own fields: a route's extra field never replaces one (bytesIn/bytesOut excepted). */
const OWN_FIELDS = new Set(['reqId', 'ip', 'tenant', 'method', 'path', 'route', 'status', 'durMs', 'code', 'aborted']);

/**
 * Add a route's extra fields (request.logExtra) to `line`: fields of its own, and
 * bytesIn/bytesOut when they are numbers (a route that streams its body counts them);
 * the gateway's identifying fields stay the gateway's.
 */
export function addExtraFields(line: RequestLine, extra: Record<string, unknown>): void {
  for (const key in extra) {
    const value = extra[key];
    if (key === 'bytesIn' || key === 'bytesOut') {
      if (typeof value === 'number') line[key] = value;
    } else if (!OWN_FIELDS.has(key)) {
      line[key] = value;
    }
  }
}

/** The time field of every log line (pino's `timestamp` writes it too, with a leading comma). */
export const tsField = (iso: string) => `"ts":"${iso}"`;

/** The start of every request line at ISO time `iso`, up to the first field. */
export const lineHead = (iso: string) => `{"level":"info",${tsField(iso)}`;

/** Characters of serialized lines one write to the destination carries at most. */
const MAX_CHUNK = 16_384;

/**
 * A writer of request lines to `dest`. `head()` gives lineHead() of the current time
 * (the loggers' once-per-millisecond clock); `open()` is false once the logs closed
 * (lines are then dropped, as the pino loggers drop theirs).
 *
 * `write()` only queues the line's fields (and its time): the lines of one event-loop
 * turn are serialized together when the turn ends (setImmediate) and handed to `dest`
 * as one string. Serialized in one tight loop, away from the request path, they cost
 * less than in place: GET /health went from 0.62× to 0.69× bare Fastify under wrk
 * (docs/performance.md).
 * `flush()` serializes and writes what is queued at once: the loggers call it before
 * any other line reaches the same file, and before they close or the process exits.
 */
export function requestLineLog(
  dest: { write(line: string): unknown },
  head: () => string,
  open: () => boolean,
): RequestLineLog {
  let queued: RequestLine[] = [];
  let heads: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (queued.length === 0) return;
    const lines = queued;
    const times = heads;
    queued = [];
    heads = [];
    let chunk = '';
    for (let i = 0; i < lines.length; i++) {
      chunk += serializeLine(lines[i]!, times[i]!);
      if (chunk.length >= MAX_CHUNK) {
        dest.write(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') dest.write(chunk);
  };
  return {
    write(fields) {
      if (!open()) return;
      queued.push(fields);
      heads.push(head());
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

function serializeLine(fields: RequestLine, head: string): string {
  let body: string;
  try {
    body = serializeFields(fields);
  } catch {
    // The compiled function refuses a non-finite number; JSON writes null, as pino does.
    body = JSON.stringify(fields);
  }
  return body.length > 2 ? `${head},${body.slice(1)}\n` : `${head}}\n`;
}
