// The Lua scripts of the redis streams engine. Each rule that moves a message between
// states is one script, so it is atomic across gateway instances: in particular a
// delivered entry is returned (nack, ack timeout, disconnect, drain, reclaim) only by
// whoever's XACK still finds it pending — two instances racing to return the same
// entry (a slow holder and a reclaiming sweeper) return it once.
//
// Time inside scripts is Redis's own clock (TIME), so nack delays and reclaim idle
// times do not depend on the gateways' clocks agreeing.
import type { PoisonReason } from '../poison.js';
import type { Redis } from 'ioredis';
import { GROUP, type StreamKeys } from './keys.js';

const COMMON = `
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Put a message (the fields of its delivered entry) back: to the dead-letter stream
-- after its last allowed attempt, to the delayed set, or at the tail of its stream.
-- mode: requeue (never delivered: n unchanged), drain (n + 1, never dead-lettered),
-- nack / timeout / disconnect (n + 1, dead-lettered at maxAttempts; 0 = never),
-- unframeable (poison.ts: n + 1, dead-lettered at once unless maxAttempts is 0).
-- A dead-letter entry's field r is the reason (the mode).
-- Returns 0 (waiting again), 1 (delayed) or 2 (dead-lettered).
local function put_back(skey, dkey, ckey, dlqkey, group, fields, mode, max_attempts, delay_ms, now)
  local id = field(fields, 'id')
  local n = tonumber(field(fields, 'n')) or 0
  local at = field(fields, 'at') or '0'
  local e = field(fields, 'e') or 'null'
  if mode ~= 'requeue' then n = n + 1 end
  local poison = mode == 'unframeable'
  if mode ~= 'requeue' and mode ~= 'drain' and max_attempts > 0 and (poison or n >= max_attempts) then
    redis.pcall('XGROUP', 'CREATE', dlqkey, group, '0', 'MKSTREAM')
    redis.call('XADD', dlqkey, '*', 'id', id, 'n', '0', 'at', at, 'e', e, 'r', mode)
    redis.call('HINCRBY', ckey, 'deadLettered', 1)
    return 2
  end
  if delay_ms > 0 then
    redis.call('ZADD', dkey, now + delay_ms, cjson.encode({id, n, at, e}))
    return 1
  end
  redis.call('XADD', skey, '*', 'id', id, 'n', tostring(n), 'at', at, 'e', e)
  return 0
end

local function pending_count(skey, group)
  if redis.call('EXISTS', skey) == 0 then return 0, 0 end
  local len = redis.call('XLEN', skey)
  local p = redis.pcall('XPENDING', skey, group)
  if type(p) == 'table' and p.err == nil then return len, tonumber(p[1]) end
  return len, 0
end
`;

/** KEYS: stream, delayed. ARGV: group, maxDepth, id, at, envelope JSON. → depth after, or -1 (full). */
const ENQUEUE = `${COMMON}
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local len, pending = pending_count(KEYS[1], ARGV[1])
local depth = len - pending + redis.call('ZCARD', KEYS[2])
if depth >= tonumber(ARGV[2]) then return -1 end
redis.call('XADD', KEYS[1], '*', 'id', ARGV[3], 'n', '0', 'at', ARGV[4], 'e', ARGV[5])
return depth + 1
`;

/** KEYS: stream, counters. ARGV: group, entryId. → 1 acked, 0 no longer pending. */
const ACK = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'acked', 1)
return 1
`;

/** KEYS: stream, delayed, counters, dlq. ARGV: group, entryId, mode, maxAttempts, delayMs. → put_back's result, or -1 (no longer pending). */
const RELEASE = `${COMMON}
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return -1 end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if #entry == 0 then return -1 end
if ARGV[3] == 'nack' then redis.call('HINCRBY', KEYS[3], 'nacked', 1) end
return put_back(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], entry[1][2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), now_ms())
`;

/**
 * Housekeeping of one stream. KEYS: stream, delayed, counters, dlq. ARGV: group,
 * reclaiming consumer, minIdleMs, maxAttempts, batch. Moves due delayed messages back
 * to the stream, then reclaims (XAUTOCLAIM) deliveries unsettled for minIdleMs — their
 * gateway died or lost its connection — and returns them as ack timeouts; last, it
 * forgets consumer names idle for consumerIdleMs with nothing pending (every gateway
 * start reads under a new name). ARGV[6]: consumerIdleMs. ARGV[7]: the XAUTOCLAIM cursor
 * (0-0 to start; each sweep continues where the last one stopped, so entries behind
 * many live deliveries are reached too).
 * → {promoted, reclaimed, dead-lettered ids, depth, next cursor}.
 */
const SWEEP = `${COMMON}
local now = now_ms()
local batch = tonumber(ARGV[5])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch)
if #due > 0 then redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM') end
for _, m in ipairs(due) do
  local r = cjson.decode(m)
  redis.call('XADD', KEYS[1], '*', 'id', r[1], 'n', tostring(r[2]), 'at', r[3], 'e', r[4])
  redis.call('ZREM', KEYS[2], m)
end
local reclaimed, dead, cursor = 0, {}, '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local res = redis.pcall('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[7], 'COUNT', batch)
  if type(res) == 'table' and res.err == nil then
    cursor = res[1]
    for _, e in ipairs(res[2]) do
      if type(e) == 'table' and type(e[2]) == 'table' then
        redis.call('XACK', KEYS[1], ARGV[1], e[1])
        redis.call('XDEL', KEYS[1], e[1])
        reclaimed = reclaimed + 1
        if put_back(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], e[2], 'timeout', tonumber(ARGV[4]), 0, now) == 2 then
          table.insert(dead, field(e[2], 'id'))
        end
      end
    end
    -- Entries deleted while pending (res[3]) are dropped from the PEL by XAUTOCLAIM itself.
  end
end
-- Forget consumer names (one per gateway instance start) idle for ARGV[6] ms with nothing pending.
if redis.call('EXISTS', KEYS[1]) == 1 then
  local cs = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
  if type(cs) == 'table' and cs.err == nil then
    for _, c in ipairs(cs) do
      local name = field(c, 'name')
      if name ~= ARGV[2] and tonumber(field(c, 'pending')) == 0 and tonumber(field(c, 'idle')) > tonumber(ARGV[6]) then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
      end
    end
  end
end
local len, pending = pending_count(KEYS[1], ARGV[1])
return {#due, reclaimed, dead, len - pending + redis.call('ZCARD', KEYS[2]), cursor}
`;

/** KEYS: stream, delayed, counters. ARGV: group. → {depth, pending, counters as a flat list}. */
const STATS = `${COMMON}
local len, pending = pending_count(KEYS[1], ARGV[1])
return {len - pending + redis.call('ZCARD', KEYS[2]), pending, redis.call('HGETALL', KEYS[3])}
`;

export type ReleaseMode = 'requeue' | 'drain' | 'nack' | 'timeout' | 'disconnect' | PoisonReason;

/** What a release did: the message is waiting again, delayed, dead-lettered, or was no longer ours. */
export type ReleaseOutcome = 'waiting' | 'delayed' | 'dead-lettered' | 'gone';

export interface SweepResult {
  promoted: number;
  reclaimed: number;
  /** Ids of reclaimed messages that used their last attempt and went to NAME.dlq. */
  deadLettered: string[];
  depth: number;
  /** Where the next sweep's XAUTOCLAIM continues ('0-0': from the start). */
  cursor: string;
}

export interface RawStats {
  depth: number;
  pending: number;
  counters: Record<string, number>;
}

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

const DEFINITIONS = {
  conduitEnqueue: { numberOfKeys: 2, lua: ENQUEUE },
  conduitAck: { numberOfKeys: 2, lua: ACK },
  conduitRelease: { numberOfKeys: 4, lua: RELEASE },
  conduitSweep: { numberOfKeys: 4, lua: SWEEP },
  conduitStats: { numberOfKeys: 3, lua: STATS },
} as const;

/** Typed calls of the scripts on one ioredis connection (EVALSHA, loading the script when missing). */
export class StreamScripts {
  constructor(private readonly redis: Redis) {
    for (const [name, def] of Object.entries(DEFINITIONS)) redis.defineCommand(name, def);
  }

  private fn(name: keyof typeof DEFINITIONS): ScriptFn {
    return (this.redis as unknown as Record<string, ScriptFn>)[name]!.bind(this.redis);
  }

  /** The depth after the enqueue, or -1 when the stream is at maxDepth. */
  async enqueue(
    k: StreamKeys,
    maxDepth: number,
    id: string,
    enqueuedAt: number,
    envelopeJson: string,
  ): Promise<number> {
    return Number(await this.fn('conduitEnqueue')(k.stream, k.delayed, GROUP, maxDepth, id, enqueuedAt, envelopeJson));
  }

  /** True when acked; false when the entry was no longer pending (reclaimed meanwhile). */
  async ack(k: StreamKeys, entryId: string): Promise<boolean> {
    return Number(await this.fn('conduitAck')(k.stream, k.counters, GROUP, entryId)) === 1;
  }

  async release(
    k: StreamKeys,
    entryId: string,
    mode: ReleaseMode,
    maxAttempts: number,
    delayMs: number,
  ): Promise<ReleaseOutcome> {
    const r = Number(
      await this.fn('conduitRelease')(
        k.stream,
        k.delayed,
        k.counters,
        k.dlq,
        GROUP,
        entryId,
        mode,
        maxAttempts,
        delayMs,
      ),
    );
    return r === 0 ? 'waiting' : r === 1 ? 'delayed' : r === 2 ? 'dead-lettered' : 'gone';
  }

  async sweep(
    k: StreamKeys,
    o: {
      reclaimer: string;
      minIdleMs: number;
      maxAttempts: number;
      batch: number;
      consumerIdleMs: number;
      cursor: string;
    },
  ): Promise<SweepResult> {
    const r = (await this.fn('conduitSweep')(
      k.stream,
      k.delayed,
      k.counters,
      k.dlq,
      GROUP,
      o.reclaimer,
      o.minIdleMs,
      o.maxAttempts,
      o.batch,
      o.consumerIdleMs,
      o.cursor,
    )) as [number, number, string[], number, string];
    return {
      promoted: Number(r[0]),
      reclaimed: Number(r[1]),
      deadLettered: r[2] ?? [],
      depth: Number(r[3]),
      cursor: String(r[4] ?? '0-0'),
    };
  }

  async stats(k: StreamKeys): Promise<RawStats> {
    const r = (await this.fn('conduitStats')(k.stream, k.delayed, k.counters, GROUP)) as [number, number, string[]];
    const counters: Record<string, number> = {};
    const flat = r[2] ?? [];
    for (let i = 0; i + 1 < flat.length; i += 2) counters[flat[i]!] = Number(flat[i + 1]);
    return { depth: Number(r[0]), pending: Number(r[1]), counters };
  }
}
