// Runs one random operation sequence against a streams engine and the reference model
// (model.ts) side by side, for engines.property.test.ts.
//
// After every operation the driver waits until the engine is quiet: every delivery the
// model says must happen has been observed (and checked by the model), the model has
// nothing more to deliver, and the engine's stats (depth, inflight) equal the model's.
// So each operation starts from a state both agree on, even on redis where deliveries
// arrive asynchronously. Independently of the model, every delivery is checked at once
// against the raw rules: never beyond the credit granted, never above maxInflight, never
// an id in flight on two consumers.
//
// Timing without wall-clock sleeps: an ack timeout is fired through the engine's own
// timer entry (the one the delivery armed), so it happens exactly where the sequence
// says. A nack delay is real (the engines are configured with a delay cap of a few ms):
// the driver waits until the engine has put the message back and then checks it was
// not redelivered earlier than its (clamped) delay.
import type { Consumer, DeliverySink, StreamMessage } from '../../src/gateway/streams/index.js';
import { isGatewayError } from '../../src/gateway/errors.js';
import { UndeliverableError } from '../../src/gateway/streams/poison.js';
import { DeliveryModel, ModelViolation } from './model.js';
import {
  type EngineBackend,
  type EngineHandle,
  expectedDelay,
  expectIds,
  newTally,
  type Op,
  type RunSpec,
  type Tally,
  TENANT,
} from './property-ops.js';

/** Slack on "not redelivered before its nack delay": redis scores delays with its own ms clock. */
const DELAY_SLACK_MS = 1;

export async function runSequence(backend: EngineBackend, spec: RunSpec, tally: Tally = newTally()): Promise<void> {
  const h = await backend.open(spec);
  try {
    const d = new Driver(backend, h, spec, tally);
    tally.sequences++;
    for (const op of spec.ops) {
      await d.apply(op);
      await d.settle(op);
    }
    await d.finish();
  } finally {
    await h.close();
  }
}

interface Observed {
  c: number;
  m: StreamMessage;
  at: number;
  /** The sink threw on it: a dead transport, or a message it cannot frame. */
  failed: 'transport' | 'poison' | undefined;
}

class Driver {
  readonly model: DeliveryModel;
  private readonly consumers: Consumer[] = [];
  private readonly granted: number[] = [];
  private readonly deliveries: number[] = [];
  private readonly maxInflight: number[] = [];
  private readonly broken = new Set<number>();
  private readonly poisonNext = new Set<number>();
  private readonly events: Observed[] = [];
  /** Consumer holding each id, from the deliveries observed and the settles made. */
  private readonly holders = new Map<string, number>();
  /** Earliest time an id nacked with a delay may be delivered again. */
  private readonly notBefore = new Map<string, number>();
  private readonly okAcks = new Map<string, number>();
  private failure: Error | undefined;
  private readonly trace: string[] = [];

  constructor(
    private readonly backend: EngineBackend,
    private readonly h: EngineHandle,
    spec: RunSpec,
    private readonly tally: Tally,
  ) {
    this.model = new DeliveryModel({
      maxAttempts: spec.maxAttempts,
      maxDepth: spec.maxDepth,
      order: backend.order,
      strictReturns: backend.strictReturns,
    });
  }

  private sink(c: number): DeliverySink {
    return {
      deliver: (m) => {
        // Never throw into the engine: it would take it for a dead transport.
        const at = Date.now();
        const failed = this.poisonNext.delete(c) ? 'poison' : this.broken.delete(c) ? 'transport' : undefined;
        this.events.push({ c, m, at, failed });
        const consumer = this.consumers[c];
        this.deliveries[c]!++;
        const holder = this.holders.get(m.id);
        if (this.deliveries[c]! > this.granted[c]!) this.fail(`consumer ${c} got ${m.id} beyond its credit`);
        else if (consumer && consumer.inflight > this.maxInflight[c]!) this.fail(`consumer ${c} above maxInflight`);
        else if (holder !== undefined) this.fail(`${m.id} delivered to ${c} while in flight on consumer ${holder}`);
        else if (m.stream !== this.h.stream) this.fail(`delivery from ${m.stream}`);
        if (failed === 'poison') {
          this.deliveries[c]!--; // not a delivery: the engine gives the credit back
          throw new UndeliverableError('unframeable', 'this envelope cannot be framed');
        }
        this.holders.set(m.id, c);
        if (failed) {
          // The engine closes the consumer: what it holds (this delivery too) goes back, maybe at once.
          for (const [id, holder] of this.holders) if (holder === c) this.holders.delete(id);
          throw new Error('socket gone');
        }
      },
    };
  }

  private fail(message: string): void {
    this.failure ??= new ModelViolation(message);
  }

  /** Consumer index for an op's `c`, or undefined with no consumers yet. */
  private pick(c: number): number | undefined {
    return this.consumers.length === 0 ? undefined : c % this.consumers.length;
  }

  private heldBy(c: number, k: number): string | undefined {
    const held = this.model.consumers[c]!.held;
    return held.length === 0 ? undefined : held[k % held.length];
  }

  /** An id consumer c does not hold: a settled, waiting or other consumer's id, or one never enqueued. */
  private strayId(c: number, k: number): string {
    const held = new Set(this.model.consumers[c]!.held);
    const others = this.model.enqueued.filter((id) => !held.has(id));
    return k % (others.length + 1) === others.length ? `never-${k}` : others[k % (others.length + 1)]!;
  }

  async apply(op: Op): Promise<void> {
    const { model, h } = this;
    const c = 'c' in op ? this.pick(op.c) : undefined;
    if ('c' in op && c === undefined) return;
    this.trace.push(JSON.stringify(op));
    switch (op.op) {
      case 'subscribe': {
        const i = model.subscribe(op.maxInflight);
        this.granted.push(0);
        this.deliveries.push(0);
        this.maxInflight.push(op.maxInflight);
        this.consumers.push(h.engine.subscribe(TENANT, h.stream, this.sink(i), { maxInflight: op.maxInflight }));
        return;
      }
      case 'credit':
        model.grant(c!, op.n);
        this.granted[c!]! += op.n;
        this.consumers[c!]!.grant(op.n);
        return;
      case 'enqueue':
        return this.enqueue();
      case 'ack': {
        const id = this.heldBy(c!, op.k) ?? this.strayId(c!, op.k);
        this.settleOne(c!, id, 'ack');
        return;
      }
      case 'nack': {
        const id = this.heldBy(c!, op.k) ?? this.strayId(c!, op.k);
        const delay = expectedDelay(op.delayMs, this.backend.nackMaxDelayMs);
        const at = Date.now();
        if (this.settleOne(c!, id, 'nack', op.delayMs, delay > 0) === 'ok' && delay > 0) {
          this.notBefore.set(id, at + delay - DELAY_SLACK_MS);
          this.tally.delayedNacks++;
        }
        return;
      }
      case 'stray':
        this.settleOne(c!, this.strayId(c!, op.k), op.nack ? 'nack' : 'ack');
        return;
      case 'timeout': {
        const id = this.heldBy(c!, op.k);
        if (id === undefined) return;
        this.tally.timeouts++;
        model.timeout(c!, id);
        this.holders.delete(id);
        h.expire(this.consumers[c!]!, id);
        return;
      }
      case 'disconnect':
        for (const id of model.consumers[c!]!.held) this.holders.delete(id);
        model.disconnect(c!);
        this.consumers[c!]!.close();
        return;
      case 'pause':
        model.pause(c!, op.paused);
        if (op.paused) this.consumers[c!]!.pause();
        else this.consumers[c!]!.resume();
        return;
      case 'poison':
        this.poisonNext.add(c!);
        return;
      case 'breakSink':
        if (!this.backend.batchedReads || this.maxInflight[c!] === 1) this.broken.add(c!);
        return;
      case 'drain':
        this.tally.drains++;
        model.drain();
        this.holders.clear();
        await h.engine.stopDelivery();
        return;
    }
  }

  private async enqueue(): Promise<void> {
    const { model, h } = this;
    const full = !model.canEnqueue();
    let id: string;
    try {
      id = (await h.engine.enqueue(TENANT, h.stream, { n: model.messages.size })).id;
    } catch (err) {
      if (full && isGatewayError(err) && err.code === 'STREAM_FULL' && err.retryAfterS === 1) {
        this.tally.streamFull++;
        return;
      }
      throw err;
    }
    if (full) throw new ModelViolation(`enqueue accepted at depth ${model.depth} (maxDepth ${model.o.maxDepth})`);
    model.enqueue(id);
  }

  /** Ack or nack on the model and the engine; both must answer alike. */
  private settleOne(c: number, id: string, what: 'ack' | 'nack', delayMs = 0, delayed = false): 'ok' | 'unknown' {
    const expected = what === 'ack' ? this.model.ack(c, id) : this.model.nack(c, id, delayed);
    // Before the engine call: a nack may be redelivered synchronously, within it.
    if (expected === 'ok') this.holders.delete(id);
    const consumer = this.consumers[c]!;
    const actual = what === 'ack' ? consumer.ack(id) : consumer.nack(id, delayMs);
    if (expected !== actual)
      throw new ModelViolation(`${what} of ${id} on consumer ${c}: engine ${actual}, model ${expected}`);
    if (actual === 'ok' && what === 'ack') this.okAcks.set(id, (this.okAcks.get(id) ?? 0) + 1);
    return actual;
  }

  /** Feed the observed deliveries to the model (which checks each). */
  private observe(): void {
    for (const { c, m, at, failed } of this.events.splice(0)) {
      const earliest = this.notBefore.get(m.id);
      if (earliest !== undefined) {
        if (at < earliest) throw new ModelViolation(`${m.id} redelivered ${earliest - at} ms before its nack delay`);
        this.notBefore.delete(m.id);
      }
      // Its delay is over (checked above) and the engine put it back before the driver saw
      // the delayed set empty (redis: while still delivering others).
      if (this.model.messages.get(m.id)?.state === 'delayed') this.model.promote(m.id);
      if (failed === 'poison') {
        this.model.poisoned(c, m.id, m.attempt);
        this.tally.poisoned++;
        continue;
      }
      this.model.delivered(c, m.id, m.attempt);
      this.tally.deliveries++;
      if (m.attempt > 1) this.tally.redeliveries++;
      if (failed) {
        this.model.disconnect(c);
        this.tally.sinkFailures++;
      }
    }
    if (this.failure) throw this.failure;
  }

  /** Wait until the engine has done what the model expects and agrees with it. */
  async settle(op?: Op): Promise<void> {
    const { model, h } = this;
    const deadline = Date.now() + this.backend.settleTimeoutMs;
    let last = '';
    for (;;) {
      this.observe();
      if (model.stable) {
        const delayed = model.delayedIds();
        if (delayed.length > 0) {
          if ((await h.delayed()) === 0) {
            for (const id of delayed) model.promote(id);
            continue;
          }
          last = `${delayed.join(', ')} still nack-delayed in the engine`;
        } else {
          const s = await h.engine.stats(TENANT, h.stream);
          this.observe();
          if (model.stable && s.depth === model.depth && s.inflight === model.inflight) break;
          last = `engine depth ${s.depth} inflight ${s.inflight}, model depth ${model.depth} inflight ${model.inflight}`;
        }
      } else last = `the model expects a delivery of ${model.next()}`;
      if (Date.now() > deadline) throw new ModelViolation(`engine did not settle after ${JSON.stringify(op)}: ${last}`);
      await h.tick();
    }
    this.consumers.forEach((consumer, i) => {
      const m = model.consumers[i]!;
      const credit = m.closed ? consumer.credit : m.credit;
      const inflight = m.closed ? 0 : m.held.length;
      if (consumer.credit !== credit || consumer.inflight !== inflight) {
        throw new ModelViolation(
          `consumer ${i}: engine credit ${consumer.credit} inflight ${consumer.inflight}, model credit ${credit} inflight ${inflight}`,
        );
      }
    });
  }

  /** Settle everything and check nothing was lost or settled twice. */
  async finish(): Promise<void> {
    const { model, h } = this;
    if (!model.stopped) {
      // One more consumer with room for everything, then ack whatever anyone holds until nothing is left.
      await this.apply({ op: 'subscribe', maxInflight: 10_000 });
      await this.apply({ op: 'credit', c: this.consumers.length - 1, n: 10_000 });
      await this.settle();
      for (let round = 0; round < 100 && model.depth + model.inflight > 0; round++) {
        this.model.consumers.forEach((m, c) => {
          for (const id of [...m.held]) this.settleOne(c, id, 'ack');
        });
        await this.settle();
      }
      if (model.depth !== 0 || model.inflight !== 0) throw new ModelViolation('messages left after the final drain');
      await this.checkDlq();
    } else {
      const [main, dlq] = await Promise.all([
        h.engine.stats(TENANT, h.stream),
        h.engine.stats(TENANT, `${h.stream}.dlq`),
      ]);
      if (main.depth !== model.waiting || main.inflight !== 0 || dlq.depth !== model.dlq.length) {
        throw new ModelViolation(
          `after drain: engine depth ${main.depth} inflight ${main.inflight} dlq ${dlq.depth}, model ${model.waiting} 0 ${model.dlq.length}`,
        );
      }
      const back = await h.readBack?.({ main: model.waiting, dlq: model.dlq.length });
      if (back) {
        const waiting = model.waitingIds();
        const attempts = waiting.map((id) => model.messages.get(id)!.attempt + 1);
        expectIds('stream after drain', back.main, waiting, this.h.stream, attempts, this.backend.strictReturns);
        expectIds(
          'dlq after drain',
          back.dlq,
          model.dlq.map((d) => d.id),
          `${this.h.stream}.dlq`,
        );
      }
    }
    // Nothing lost, nothing settled twice: every id is acked once, or dead-lettered once, or (after a drain) waiting.
    const dead = new Set(model.dlq.map((d) => d.id));
    const waiting = new Set(model.waitingIds());
    for (const id of model.enqueued) {
      const acks = this.okAcks.get(id) ?? 0;
      const places = acks + (dead.has(id) ? 1 : 0) + (waiting.has(id) ? 1 : 0);
      if (acks > 1 || places !== 1)
        throw new ModelViolation(`${id}: acked ${acks}×, dlq ${dead.has(id)}, waiting ${waiting.has(id)}`);
    }
    if (dead.size !== model.dlq.length) throw new ModelViolation('an id reached the dlq twice');
    this.tally.deadLettered += dead.size;
  }

  private async checkDlq(): Promise<void> {
    const { model, h } = this;
    const dlqName = `${h.stream}.dlq`;
    const got: StreamMessage[] = [];
    const c = h.engine.subscribe(TENANT, dlqName, { deliver: (m) => void got.push(m) }, { maxInflight: 10_000 });
    try {
      c.grant(10_000);
      const deadline = Date.now() + this.backend.settleTimeoutMs;
      while (got.length < model.dlq.length && Date.now() < deadline) await h.tick();
      const s = await h.engine.stats(TENANT, dlqName);
      expectIds(
        'dlq',
        got,
        model.dlq.map((d) => d.id),
        dlqName,
      );
      if (s.depth !== 0 || s.inflight !== model.dlq.length) throw new ModelViolation(`dlq stats ${JSON.stringify(s)}`);
      for (const m of got) if (c.ack(m.id) !== 'ok') throw new ModelViolation(`dlq ack of ${m.id}`);
    } finally {
      c.close();
    }
  }
}
