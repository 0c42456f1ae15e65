// Message ids: time-ordered, fixed width, so they sort lexicographically in enqueue
// order within one engine: `<ms base36, 9>-<seq base36, 5>-<node, 8>`. The node part
// (41 random bits per engine) keeps ids from gateways sharing a Redis apart: two
// engines collide only if they draw the same node value (about 1 in 2.8·10^12 per pair)
// and enqueue in the same millisecond with the same sequence. Opaque to clients.
import { randomBytes } from 'node:crypto';

export type IdGenerator = () => string;

export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  const node = randomBytes(6).readUIntBE(0, 6).toString(36).padStart(10, '0').slice(-8);
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
