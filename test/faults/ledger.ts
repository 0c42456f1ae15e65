// The bookkeeping of the fault tests (issue 12 item 3): a producer that numbers every
// message it enqueues and remembers what the gateway answered, an acking subscriber that
// records every delivery, and the count of what was lost. Every message carries
// `{seq}`, so a message is recognised by what it is, whatever id it was given.
//
// When CONDUIT_FAULTS_REPORT names a file, each fault appends one JSON line with its
// counts before asserting them; scripts/faults-loop.ts sums those over its runs.
import { appendFileSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, expect } from 'vitest';
import { SubClient, type Delivery } from '../support/ws-client.js';

export interface Outcome {
  seq: number;
  /** HTTP status; 0 when the request failed without an answer (outcome unknown). */
  status: number;
  id?: string;
  code?: string;
  /** When the answer (or the failure) arrived. */
  at: number;
}

export interface ProduceOptions {
  /** The base URL for the i-th request (several instances: alternate them). */
  url: (seq: number) => string;
  stream: string;
  count: number;
  concurrency?: number;
  token?: string;
  /** Retry a 503 (BACKEND_UNAVAILABLE, STREAM_FULL) or a request that got no answer, with the same seq. */
  retryUnavailable?: { timeoutMs: number };
  /** Called after every answer: lets a test inject its fault at a point of the load. */
  onOutcome?: (o: Outcome, p: Producer) => void;
}

/** A bounded producer: `count` enqueues of `{seq}`, `concurrency` at a time. */
export class Producer {
  readonly outcomes: Outcome[] = [];
  /** seq → id, for every enqueue answered 200 (the messages the gateway took). */
  readonly accepted = new Map<number, string>();
  /**
   * Seqs of which some request got no answer, or BACKEND_UNAVAILABLE (its Redis command
   * may have run all the same): the gateway may or may not have taken them.
   */
  readonly unknown = new Set<number>();
  readonly done: Promise<void>;
  private stopped = false;

  constructor(private readonly o: ProduceOptions) {
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < o.count) await this.send(next++);
    };
    this.done = Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker)).then(() => {});
  }

  /** Start nothing new (requests in flight finish). */
  stop(): void {
    this.stopped = true;
  }

  /** Every answer that was neither 200 nor retried away. */
  get failed(): Outcome[] {
    return this.outcomes.filter((o) => o.status !== 200);
  }

  private async send(seq: number): Promise<void> {
    const deadline = Date.now() + (this.o.retryUnavailable?.timeoutMs ?? 0);
    for (;;) {
      const o = await this.once(seq);
      if (o.status === 0 || o.code === 'BACKEND_UNAVAILABLE') this.unknown.add(seq);
      const retry = this.o.retryUnavailable && (o.status === 503 || o.status === 0) && Date.now() < deadline;
      if (retry) {
        await new Promise((r) => setTimeout(r, 20)); // the client's back-off, not a wait for the server
        continue;
      }
      this.outcomes.push(o);
      if (o.status === 200 && o.id) this.accepted.set(seq, o.id);
      this.o.onOutcome?.(o, this);
      return;
    }
  }

  private async once(seq: number): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    try {
      const res = await request(`${this.o.url(seq)}/v1/enqueue`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ to: this.o.stream, envelope: { seq } }),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      const body = (await res.body.json().catch(() => undefined)) as
        | { id?: string; error?: { code: string } }
        | undefined;
      return { seq, status: res.statusCode, id: body?.id, code: body?.error?.code, at: Date.now() };
    } catch (err) {
      return { seq, status: 0, code: (err as { code?: string }).code ?? String(err), at: Date.now() };
    }
  }
}

export interface Ack {
  id: string;
  seq: number;
  /** When the ack was sent. */
  at: number;
}

/**
 * A subscriber that acks every delivery at once and grants one credit back for each,
 * keeping `window` credits out; or, with `hold`, takes `window` deliveries and acks none.
 */
export class Acker {
  readonly acks: Ack[] = [];

  private constructor(
    readonly client: SubClient,
    private readonly hold: boolean,
  ) {}

  static async connect(
    wsUrl: string,
    stream: string,
    opts: { window?: number; hold?: boolean; token?: string } = {},
  ): Promise<Acker> {
    const url = `${wsUrl}/v1/subscribe?stream=${encodeURIComponent(stream)}`;
    // The frame hook runs before SubClient checks its conditions on that frame, so a
    // frame's ack is recorded first. No delivery comes before the credit below.
    const holder: { a?: Acker } = {};
    const client = await SubClient.connect(url, {
      ...(opts.token ? { token: opts.token } : {}),
      onFrame: (f) => holder.a?.onFrame(f),
    });
    const a = new Acker(client, opts.hold ?? false);
    holder.a = a;
    client.credit(opts.window ?? 10);
    return a;
  }

  get deliveries(): Delivery[] {
    return this.client.deliveries;
  }

  /** Seqs this subscriber acked. */
  ackedSeqs(): Set<number> {
    return new Set(this.acks.map((a) => a.seq));
  }

  /** Resolve once `cond()` holds, checked on every frame. */
  until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.client.until(cond, timeoutMs, what);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private onFrame(f: { deliver?: Delivery }): void {
    if (!f.deliver || this.hold || this.client.ws.readyState !== this.client.ws.OPEN) return;
    const { id, envelope } = f.deliver;
    this.acks.push({ id, seq: (envelope as { seq: number }).seq, at: Date.now() });
    this.client.ack(id);
    this.client.credit(1);
  }
}

/**
 * Messages whose attempt counts are dishonest, with the attempts seen. `phases` lists
 * what the subscribers saw, phase after phase (several subscribers of one phase may be
 * concatenated): for each message id, the attempts seen must be 1, 2, … k, each once —
 * a message comes with attempt n > 1 only if it was delivered n - 1 times before.
 */
export function dishonestAttempts(phases: Delivery[][]): Array<{ id: string; seq: number; attempts: number[] }> {
  const attempts = new Map<string, { seq: number; attempts: number[] }>();
  for (const d of phases.flat()) {
    const a = attempts.get(d.id) ?? { seq: (d.envelope as { seq: number }).seq, attempts: [] };
    a.attempts.push(d.attempt);
    attempts.set(d.id, a);
  }
  return [...attempts]
    .filter(([, a]) => [...a.attempts].sort((x, y) => x - y).some((n, i) => n !== i + 1))
    .map(([id, a]) => ({ id, ...a }));
}

/** Seqs of `accepted` missing from every set in `settled`. */
export function lost(accepted: Iterable<number>, ...settled: Array<Set<number>>): number[] {
  return [...accepted].filter((seq) => !settled.some((s) => s.has(seq))).sort((a, b) => a - b);
}

export interface FaultCounts {
  /** Messages the gateway took (or blobs it stored), that had to survive. */
  expected: number;
  /** Of those, lost: must be 0. */
  lost: number;
  [k: string]: number | string;
}

/**
 * Append the running test's counts to CONDUIT_FAULTS_REPORT (for the loop runner, keyed
 * by the test's full name as Vitest's JSON reporter gives it), then return them.
 */
export function report(counts: FaultCounts): FaultCounts {
  const file = process.env.CONDUIT_FAULTS_REPORT;
  const test = expect.getState().currentTestName?.split(' > ').join(' ');
  if (file) appendFileSync(file, `${JSON.stringify({ test, ...counts })}\n`);
  return counts;
}

/** The producer's number a delivered message carries. */
export const seqOf = (d: { envelope: unknown }): number => (d.envelope as { seq: number }).seq;

/** Deliveries of messages this producer never sent (neither taken nor of unknown outcome). */
export function strangers(deliveries: readonly Delivery[], producer: Producer): number {
  return deliveries.filter((d) => !producer.accepted.has(seqOf(d)) && !producer.unknown.has(seqOf(d))).length;
}

/** Messages delivered under two ids, apart from requests never answered (sent again, they may be stored twice). */
export function doubled(deliveries: readonly Delivery[], producer: Producer): number {
  const idsBySeq = new Map<number, Set<string>>();
  for (const d of deliveries) idsBySeq.set(seqOf(d), (idsBySeq.get(seqOf(d)) ?? new Set()).add(d.id));
  return [...idsBySeq].filter(([seq, ids]) => ids.size > 1 && !producer.unknown.has(seq)).length;
}

/** What a test opens (gateways, clients, Redis admins): closed after it, newest first, failures ignored. */
export function closedAfterEach(): Array<{ close(): Promise<void> }> {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close().catch(() => {});
  });
  return open;
}
