// What a process's RSS change is made of over the judged window (pure): V8's heap (the
// pages it has committed, and the part of them in use), memory V8 knows is held outside
// its heap for JS objects (external: Buffers and ArrayBuffers, mostly), and the rest of
// RSS — native memory V8 does not account (malloc'ed by Node, libuv, addons; thread
// stacks; allocator fragmentation; code pages). A generator whose RSS grows while its
// heap is flat leaks there, or its allocator does: the trend says *that* it grows, this
// says *where* to look.
//
// Only for samples that carry the figures (the generator's own, from
// process.memoryUsage()). Each end of the window is the median of its first / last few
// samples, so one sample taken mid-GC does not decide it.
import { median as middle } from '../internal/stats.js';
import type { MemoryComposition, MemorySample } from '../result.js';

/** Samples whose median makes each end of the window. */
export const COMPOSITION_END_SAMPLES = 5;

type Figure = 'rssBytes' | 'heapTotalBytes' | 'heapUsedBytes' | 'externalBytes' | 'arrayBuffersBytes';

/**
 * The change of each figure between the start (`fromS`) and the end (`toS`) of the
 * window, or undefined when the window holds fewer than two samples with every figure.
 */
export function memoryComposition(
  samples: readonly MemorySample[],
  fromS: number,
  toS: number = Infinity,
): MemoryComposition | undefined {
  const within = samples.filter(
    (s) =>
      s.t >= fromS &&
      s.t <= toS &&
      s.heapTotalBytes !== undefined &&
      s.heapUsedBytes !== undefined &&
      s.externalBytes !== undefined,
  );
  if (within.length < 2) return undefined;
  const k = Math.max(1, Math.min(COMPOSITION_END_SAMPLES, Math.floor(within.length / 2)));
  const head = within.slice(0, k);
  const tail = within.slice(-k);
  const change = (f: Figure) => Math.round(middle(tail.map((s) => s[f] ?? 0)) - middle(head.map((s) => s[f] ?? 0)));
  const rssBytes = change('rssBytes');
  const heapTotalBytes = change('heapTotalBytes');
  const externalBytes = change('externalBytes');
  return {
    fromS: head[0]!.t,
    toS: tail[tail.length - 1]!.t,
    startRssBytes: Math.round(middle(head.map((s) => s.rssBytes))),
    rssBytes,
    heapTotalBytes,
    heapUsedBytes: change('heapUsedBytes'),
    externalBytes,
    arrayBuffersBytes: change('arrayBuffersBytes'),
    nativeBytes: rssBytes - heapTotalBytes - externalBytes,
  };
}
