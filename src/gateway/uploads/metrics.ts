// UploadMetrics: Prometheus series in the gateway's registry plus the `uploads` section
// of GET /v1/metrics. Throughput is recorded per file as MB/s (MB = 10^6 bytes) in a
// prom-client histogram; the JSON section reports totals and an overall average.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type RejectReason =
  | 'capacity_global'
  | 'capacity_tenant'
  | 'capacity_ip'
  | 'too_large'
  | 'too_many_parts'
  | 'too_many_fields'
  | 'unsupported_media_type'
  | 'malformed'
  | 'client_aborted'
  | 'draining'
  | 'internal';

export class UploadMetrics {
  private readonly uploads: Counter<'result'>;
  private readonly files: Counter;
  private readonly bytes: Counter;
  private readonly rejected: Counter<'reason'>;
  private readonly mbps: Histogram;
  private readonly rejectedByReason = new Map<RejectReason, number>();
  private okRequests = 0;
  private okFiles = 0;
  private okBytes = 0;
  private busySeconds = 0;

  constructor(registry: Registry, inFlight: () => number) {
    this.uploads = new Counter({
      name: 'conduit_upload_requests_total',
      help: 'Upload requests by result (ok or rejected).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.files = new Counter({ name: 'conduit_upload_files_total', help: 'Files stored.', registers: [registry] });
    this.bytes = new Counter({
      name: 'conduit_upload_bytes_total',
      help: 'Bytes of files stored.',
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'conduit_upload_rejected_total',
      help: 'Upload requests refused or failed, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.mbps = new Histogram({
      name: 'conduit_upload_file_mbps',
      help: 'Per-file upload throughput in MB/s (10^6 bytes) from first to last byte.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers: [registry],
    });
    new Gauge({
      name: 'conduit_uploads_in_flight',
      help: 'Upload requests in progress.',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
    this.inFlight = inFlight;
  }

  private readonly inFlight: () => number;

  file(bytes: number, seconds: number): void {
    this.files.inc();
    this.bytes.inc(bytes);
    this.okFiles++;
    this.okBytes += bytes;
    if (seconds > 0) this.mbps.observe(bytes / 1e6 / seconds);
  }

  succeeded(seconds: number): void {
    this.uploads.inc({ result: 'ok' });
    this.okRequests++;
    this.busySeconds += seconds;
  }

  rejectedFor(reason: RejectReason): void {
    this.uploads.inc({ result: 'rejected' });
    this.rejected.inc({ reason });
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
  }

  /** The `uploads` section of GET /v1/metrics. */
  snapshot(): Record<string, unknown> {
    return {
      inFlight: this.inFlight(),
      requests: this.okRequests,
      files: this.okFiles,
      bytes: this.okBytes,
      rejected: Object.fromEntries(this.rejectedByReason),
      // Sum of bytes over the sum of request durations: a per-request average, not wall-clock throughput.
      avgMBps: this.busySeconds > 0 ? Number((this.okBytes / 1e6 / this.busySeconds).toFixed(2)) : 0,
    };
  }
}
