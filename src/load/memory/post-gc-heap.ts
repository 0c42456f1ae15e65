// PostGcHeap: this process's heap right after its last full GC — the generator's own
// counterpart of the post-GC figure memwatch gives for the target, without a native
// addon (memwatch crashes thread pools) and without forcing a GC (that would pause the
// generator in the middle of its measurements). V8's GCProfiler records every GC with
// the heap before and after; `read()` collects what it recorded since the last read
// and keeps the heap after the latest mark-sweep-compact.
import v8 from 'node:v8';

export class PostGcHeap {
  private profiler: v8.GCProfiler | undefined;
  private last: number | undefined;

  start(): this {
    if (this.profiler || typeof v8.GCProfiler !== 'function') return this;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    return this;
  }

  /** Bytes used after the latest full GC so far, or undefined before the first one. */
  read(): number | undefined {
    const profiler = this.profiler;
    if (!profiler) return this.last;
    const result = profiler.stop();
    profiler.start();
    const full = result?.statistics.filter((s) => s.gcType === 'MarkSweepCompact') ?? [];
    const latest = full[full.length - 1];
    if (latest) this.last = latest.afterGC.heapStatistics.usedHeapSize;
    return this.last;
  }

  stop(): void {
    this.profiler?.stop();
    this.profiler = undefined;
  }
}
