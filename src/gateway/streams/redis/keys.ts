// Redis key names and the entry encoding of the redis streams engine.
//
// Per (tenant, stream), three keys (tenant names have no `:`, so the tenant ends at
// the first `:` after the prefix; stream names may contain `:`):
//   conduit:s:TENANT:STREAM   the Redis stream: one entry per waiting or in-flight message
//   conduit:d:TENANT:STREAM   sorted set of nack-delayed messages, scored by due time (ms)
//   conduit:c:TENANT:STREAM   hash of the stream's counters (delivered, acked, ...)
// and one consumer group, GROUP, on every stream key.
//
// An entry's fields: id (the message id clients see), n (deliveries before this entry
// was written: 0 when enqueued, +1 each time it is returned), at (enqueuedAt, epoch ms),
// e (the envelope as JSON). A returned message is a new entry at the tail with n + 1;
// the delivered entry is acked and deleted, so the stream only holds live messages.

import { dlqNameOf, isDlqName } from '../rules.js';

export const GROUP = 'conduit';
export const KEY_PREFIX = 'conduit';

export interface StreamKeys {
  /** The Redis stream. */
  readonly stream: string;
  /** Sorted set of delayed (nacked with a delay) messages. */
  readonly delayed: string;
  /** Hash of counters. */
  readonly counters: string;
  /** The stream key of NAME.dlq (this stream's own key for a .dlq stream, which never dead-letters). */
  readonly dlq: string;
}

export function streamKeys(tenant: string, stream: string): StreamKeys {
  const tail = `${tenant}:${stream}`;
  const isDlq = isDlqName(stream);
  return {
    stream: `${KEY_PREFIX}:s:${tail}`,
    delayed: `${KEY_PREFIX}:d:${tail}`,
    counters: `${KEY_PREFIX}:c:${tail}`,
    dlq: isDlq ? `${KEY_PREFIX}:s:${tail}` : `${KEY_PREFIX}:s:${dlqNameOf(tail)}`,
  };
}

export interface DecodedEntry {
  /** The Redis entry id (what XACK takes). */
  entryId: string;
  id: string;
  /** Deliveries so far, before this entry. */
  n: number;
  enqueuedAt: number;
  envelope: unknown;
}

/** Decode one XREADGROUP entry `[entryId, [field, value, ...]]`. */
export function decodeEntry(raw: [string, string[]]): DecodedEntry {
  const [entryId, fields] = raw;
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  let envelope: unknown = f.e;
  try {
    envelope = JSON.parse(f.e ?? 'null');
  } catch {
    // Not written by this engine: hand the raw string over rather than lose it.
  }
  return { entryId, id: f.id ?? entryId, n: Number(f.n ?? 0) || 0, enqueuedAt: Number(f.at ?? 0) || 0, envelope };
}

/** A Redis URL without its password, for logs. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.startsWith('/') ? url : '(unparsable CONDUIT_REDIS_URL)';
  }
}
