// SampleBuffer: memory samples of a run (the target's, the generator's), at most
// `capacity` of them (the latest included) however long the run. While they fit, every sample is kept. When
// full, every other plain sample is dropped and from then on only every 2nd (4th, …)
// sample is kept, so the kept ones stay evenly spaced in time — what the trend's
// Theil–Sen fit and Mann–Kendall test want (they subsample evenly past 2000 anyway).
//
// What matters is kept first: a sample that brings a NEW post-GC heap reading (a full GC
// happened) survives thinning while the readings take at most half the buffer; beyond
// that the readings are thinned evenly too. The first and the latest sample are always
// there, so first → last growth is exact. RSS min/max over a thinned run are over the
// kept samples (the generator's own RSS maximum is tracked exactly elsewhere).
import type { MemorySample } from '../result.js';

/** A bit over an hour at one sample per second: an hour's soak with its settling is never thinned. */
export const DEFAULT_SAMPLE_CAPACITY = 4000;

export class SampleBuffer {
  readonly capacity: number;
  private kept: MemorySample[] = [];
  /** Per kept sample: its push index, and its reading index when it brought a new post-GC reading (else -1). */
  private index: number[] = [];
  private readingIndex: number[] = [];
  private pushed = 0;
  private readings = 0;
  private stride = 1;
  private readingStride = 1;
  private lastPostGc: number | undefined;
  private latest: MemorySample | undefined;
  private latestKept = false;

  constructor(capacity = DEFAULT_SAMPLE_CAPACITY) {
    if (!(Number.isInteger(capacity) && capacity >= 4)) throw new RangeError('capacity must be an integer ≥ 4');
    this.capacity = capacity;
  }

  get length(): number {
    return this.kept.length + (this.latest && !this.latestKept ? 1 : 0);
  }

  push(sample: MemorySample): void {
    const n = this.pushed++;
    const gc = sample.postGcHeapBytes;
    const reading = gc !== undefined && gc !== this.lastPostGc ? this.readings++ : -1;
    if (gc !== undefined) this.lastPostGc = gc;
    this.latest = sample;
    this.latestKept = (reading >= 0 && reading % this.readingStride === 0) || n % this.stride === 0;
    if (!this.latestKept) return;
    this.kept.push(sample);
    this.index.push(n);
    this.readingIndex.push(reading);
    if (this.kept.length >= this.capacity) this.thin();
  }

  /** The kept samples and the latest one (a copy, in time order). */
  samples(): MemorySample[] {
    return this.latest && !this.latestKept ? [...this.kept, this.latest] : [...this.kept];
  }

  private thin(): void {
    this.stride *= 2;
    let readingsKept = 0;
    for (const r of this.readingIndex) if (r >= 0 && r % this.readingStride === 0) readingsKept++;
    if (readingsKept > this.capacity / 2) this.readingStride *= 2;
    const kept: MemorySample[] = [];
    const index: number[] = [];
    const readingIndex: number[] = [];
    for (let i = 0; i < this.kept.length; i++) {
      const r = this.readingIndex[i]!;
      const keep = (r >= 0 && r % this.readingStride === 0) || this.index[i]! % this.stride === 0;
      if (!keep) continue;
      kept.push(this.kept[i]!);
      index.push(this.index[i]!);
      readingIndex.push(r);
    }
    this.kept = kept;
    this.index = index;
    this.readingIndex = readingIndex;
    this.latestKept = kept[kept.length - 1] === this.latest;
  }
}
