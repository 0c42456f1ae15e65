// The /v1/subscribe wire format: parsing client frames (pure) and rendering server
// frames. Every problem is a GatewayError from the catalogue; its closeCode says
// whether it ends the connection (INVALID_JSON 1007, UNKNOWN_OP 1003) or is only
// reported with an error frame (INVALID_CREDIT, UNKNOWN_DELIVERY, VALIDATION_FAILED).
import { GatewayError } from '../errors.js';
import type { StreamMessage } from '../streams/types.js';

export type ClientFrame =
  | { op: 'credit'; n: number }
  | { op: 'ack'; id: string }
  | { op: 'nack'; id: string; delayMs: number };

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: GatewayError };

const OPS = ['credit', 'ack', 'nack'] as const;
/** Message ids are short; anything longer cannot be one of ours. */
const MAX_ID_LENGTH = 256;

const fail = (error: GatewayError): ParsedFrame => ({ ok: false, error });

/** Parse one text frame. `maxCredit` is CONDUIT_WS_MAX_CREDIT. */
export function parseClientFrame(text: string, maxCredit: number): ParsedFrame {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(new GatewayError('INVALID_JSON', 'The frame is not valid JSON'));
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return fail(new GatewayError('UNKNOWN_OP', 'A frame is a JSON object with one of: credit, ack, nack'));
  }
  const obj = doc as Record<string, unknown>;
  const present: string[] = [];
  for (const op of OPS) if (obj[op] !== undefined && Object.hasOwn(obj, op)) present.push(op);
  if (present.length !== 1) {
    return fail(
      new GatewayError(
        'UNKNOWN_OP',
        present.length === 0
          ? 'A frame needs one of: credit, ack, nack'
          : `A frame carries one operation, got ${present.join(', ')}`,
      ),
    );
  }
  switch (present[0]) {
    case 'credit': {
      const n = obj.credit;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > maxCredit) {
        return fail(new GatewayError('INVALID_CREDIT', `credit must be an integer from 1 to ${maxCredit}`));
      }
      return { ok: true, frame: { op: 'credit', n } };
    }
    case 'ack': {
      const id = obj.ack;
      if (!isId(id)) return fail(new GatewayError('UNKNOWN_DELIVERY', 'ack needs a delivery id (a string)'));
      return { ok: true, frame: { op: 'ack', id } };
    }
    default: {
      const id = obj.nack;
      if (!isId(id)) return fail(new GatewayError('UNKNOWN_DELIVERY', 'nack needs a delivery id (a string)'));
      const d = obj.delayMs ?? 0;
      if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) {
        return fail(new GatewayError('VALIDATION_FAILED', 'delayMs must be a number of milliseconds >= 0'));
      }
      return { ok: true, frame: { op: 'nack', id, delayMs: Math.trunc(d) } };
    }
  }
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
}

/** `{"subscribed":{"stream","credit":0}}` */
export function subscribedFrame(stream: string): string {
  return JSON.stringify({ subscribed: { stream, credit: 0 } });
}

/** `{"deliver":{"id","stream","envelope","attempt","enqueuedAt"}}` */
export function deliverFrame(m: StreamMessage): string {
  // Built by hand (same bytes as JSON.stringify of the nested object): this runs once
  // per delivery, and skipping the wrapper objects is measurably cheaper.
  const envelope = m.envelope === undefined ? '' : `,"envelope":${JSON.stringify(m.envelope)}`;
  return `{"deliver":{"id":${JSON.stringify(m.id)},"stream":${JSON.stringify(m.stream)}${envelope},"attempt":${m.attempt},"enqueuedAt":${m.enqueuedAt}}}`;
}

/** `{"error":{"code","message"}}` */
export function errorFrame(err: GatewayError): string {
  return JSON.stringify({ error: { code: err.code, message: err.message } });
}

/** Quote an id for a message without echoing arbitrary amounts of client text. */
export function quoteId(id: string): string {
  return JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);
}
