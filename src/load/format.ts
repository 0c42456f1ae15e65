// Figures as people read them, shared by the threshold matchers (their messages) and the
// reporters (tables), so a ratio reads the same everywhere: 0.95 → "95%", 0.0012 → "0.12%".

/** A ratio as a percentage: at most 2 decimals, no trailing zeros; below 1 % two significant digits (0.012%). */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return `${ratio}`;
  const p = ratio * 100;
  if (p === 0) return '0%';
  const text = Math.abs(p) >= 1 ? String(Number(p.toFixed(2))) : String(Number(p.toPrecision(2)));
  return `${text}%`;
}

const RATE_UNITS: Record<string, string> = {
  messagesPerS: 'msg/s',
  requestsPerS: 'req/s',
  MBPerS: 'MiB/s',
  connectionsPerS: 'conn/s',
  uploadsPerS: 'uploads/s',
};

/** The unit of a throughput key: "messagesPerS" → "msg/s", "fooPerS" → "foo/s". */
export function rateUnit(key: string): string {
  return RATE_UNITS[key] ?? (key.endsWith('PerS') ? `${key.slice(0, -4)}/s` : key);
}
