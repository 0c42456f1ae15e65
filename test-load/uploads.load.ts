// Seed T5070: concurrent uploads. 100 clients upload mixed sizes (1 KB … 10 MB) for
// 60 s; the target's memory is sampled every second. Pass: every request answered
// (503/429 from caps are allowed and counted as rejected), no sha256 mismatch, memory
// stable: the trend verdict is not `growing` (not judged on runs too short for one) and
// the fitted post-GC heap growth stays below 10 % of its level.
import { closed, createRng, defineKnobs, envSizes, loadDurationS, loadTest, seedFrom } from '../src/load/index.js';
import type { ConduitLoad, OpContext } from '../src/load/index.js';

// variants: distinct bodies per size (storage is content-addressed); p95Ms 0: not checked.
// biome-ignore format: the seed's knob table, grouped: workload, then bars.
const k = defineKnobs('CONDUIT_UPLOAD', { clients: 100, sizes: '1KB,10KB,100KB,1MB,5MB,10MB', variants: 4,
  maxErrorRate: 0.01, maxMemoryGrowth: 0.1, p95Ms: 0 });
const sizes = envSizes('CONDUIT_UPLOAD_SIZES', k.sizes);

loadTest('uploads', {
  title: 'concurrent multipart uploads of mixed sizes',
  durationS: loadDurationS(60),
  config: { ...k, sizes, durationS: loadDurationS(60) },
  mainMetric: 'upload.latency',
  workloads: ({ metrics }) => {
    const rngs = Array.from({ length: k.clients }, (_, vu) => createRng(seedFrom(`uploads:${vu}`)));
    const op = (c: ConduitLoad, { vu, signal }: OpContext) => {
      const size = rngs[vu]!.pick(sizes);
      metrics.recordValue('upload.size', size, 'bytes');
      return c.upload(size, seedFrom(`${size}:${rngs[vu]!.int(0, k.variants - 1)}`), signal);
    };
    return { upload: closed({ clients: k.clients, metric: 'upload.latency', op }) };
  },
  thresholds: {
    errorRate: `< ${k.maxErrorRate * 100}%`,
    'count upload.files': '>= 1',
    memory: 'stable',
    'memory growth': `< ${k.maxMemoryGrowth * 100}%`,
    ...(k.p95Ms > 0 ? { 'upload.latency p95': `< ${k.p95Ms}ms` } : {}),
  },
});
