// Process figures for GET /v1/metrics: memory, GC count, event-loop delay (Node's own
// HDR-backed monitorEventLoopDelay) and, when CONDUIT_MEMWATCH=true, the heap size
// right after each full GC from @airbnb/node-memwatch 'stats' events — the figure a
// leak trend should follow, since it does not saw-tooth with allocation.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import type { EventEmitter } from 'node:events';

const LOOP_RESOLUTION_MS = 10;

// monitorEventLoopDelay records the whole timer interval, resolution included: an idle
// loop reads ~10 ms. Report the delay beyond the timer's own period.
function loopDelayMs(ns: number): number {
  return Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 1000) / 1000);
}

export interface ProcessSnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Heap used after the last full GC (memwatch), or null when memwatch is off or no full GC ran yet. */
  postGcHeapBytes: number | null;
  /** Full-GC readings memwatch has reported: a new reading whenever it changes (0 without memwatch). */
  postGcReadings: number;
  gcCount: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  uptimeS: number;
}

interface MemwatchStats {
  used_heap_size: number;
}

export class ProcessStats {
  private readonly loop: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver;
  private gcCount = 0;
  private postGcHeapBytes: number | null = null;
  private postGcReadings = 0;
  private memwatch: EventEmitter | undefined;
  private readonly onStats = (stats: MemwatchStats) => {
    this.postGcHeapBytes = stats.used_heap_size;
    this.postGcReadings++;
  };

  constructor(
    private readonly startedAt: number,
    useMemwatch: boolean,
  ) {
    this.loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loop.enable();
    this.gcObserver = new PerformanceObserver((list) => {
      this.gcCount += list.getEntries().length;
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    if (useMemwatch) {
      // A native addon: loaded only when asked for, so the gateway runs without it.
      const require = createRequire(import.meta.url);
      this.memwatch = require('@airbnb/node-memwatch') as EventEmitter;
      this.memwatch.on('stats', this.onStats);
    }
  }

  snapshot(): ProcessSnapshot {
    const mem = process.memoryUsage();
    const count = this.loop.count;
    return {
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalBytes: mem.external,
      postGcHeapBytes: this.postGcHeapBytes,
      postGcReadings: this.postGcReadings,
      gcCount: this.gcCount,
      eventLoopDelayMs: {
        p50: count ? loopDelayMs(this.loop.percentile(50)) : 0,
        p99: count ? loopDelayMs(this.loop.percentile(99)) : 0,
        max: count ? loopDelayMs(this.loop.max) : 0,
      },
      uptimeS: Math.round((Date.now() - this.startedAt) / 100) / 10,
    };
  }

  close(): void {
    this.loop.disable();
    this.gcObserver.disconnect();
    this.memwatch?.off('stats', this.onStats);
  }
}
