// ProgressCadence: when the next progress line of a long scenario is due. Each line is
// a Vitest annotation, which the test task keeps until the run ends, so a line every
// 30 s would grow with the run. Lines come every `everyS` seconds for the first
// `linesPerStep` lines, then at twice that interval for the next `linesPerStep`, and so
// on: an hour at 30 s is 120 lines, 24 hours about 570.

export class ProgressCadence {
  private next: number;
  private interval: number;
  private written = 0;

  constructor(
    everyS: number,
    private readonly linesPerStep = 120,
  ) {
    if (!(everyS > 0)) throw new RangeError('everyS must be > 0');
    this.interval = everyS;
    this.next = everyS;
  }

  /** True when a line is due at `elapsedS` (half a second early counts); then schedules the next. */
  due(elapsedS: number): boolean {
    if (elapsedS + 0.5 < this.next) return false;
    if (++this.written % this.linesPerStep === 0) this.interval *= 2;
    this.next += this.interval;
    return true;
  }

  /** Seconds between lines now. */
  get intervalS(): number {
    return this.interval;
  }
}
