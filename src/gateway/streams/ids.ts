// Message ids: time-ordered, fixed width, so they sort lexicographically in enqueue
// order within one engine: `<ms base36, 9>-<seq base36, 5>-<node, 4>`. The node part
// (random per engine) keeps ids from two gateways apart. Opaque to clients.
import { randomBytes } from 'node:crypto';

export type IdGenerator = () => string;

export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  const node = randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0').slice(-4);
  let lastMs = 0;
  let seq = 0;
  let prefix = '';
  return () => {
    const ms = Math.max(now(), lastMs); // never go backwards with the wall clock
    if (ms === lastMs && prefix !== '') seq++;
    else {
      lastMs = ms;
      seq = 0;
      prefix = `${ms.toString(36).padStart(9, '0')}-`; // built once per millisecond
    }
    return `${prefix}${seq.toString(36).padStart(5, '0')}-${node}`;
  };
}
