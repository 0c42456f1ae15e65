// The engine-wide counters both engines keep (updated by their streams as things happen);
// each engine adds its own few.

export interface DeliveryCounters {
  enqueued: number;
  delivered: number;
  acked: number;
  nacked: number;
  redelivered: number;
  deadLettered: number;
  timedOut: number;
  creditStalls: number;
  inflight: number;
  subscribers: number;
}

/** All zero, plus the engine's own counters (`extra`). */
export function newCounters<E extends Record<string, number>>(extra: E): DeliveryCounters & E {
  return {
    enqueued: 0,
    delivered: 0,
    acked: 0,
    nacked: 0,
    redelivered: 0,
    deadLettered: 0,
    timedOut: 0,
    creditStalls: 0,
    inflight: 0,
    subscribers: 0,
    ...extra,
  };
}
