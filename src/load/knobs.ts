// Scenario knobs from the environment: every figure has a default and can be
// overridden by a CONDUIT_* variable. A malformed value fails fast with its name.

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

export function envNumber(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  return value;
}

export function envInt(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.floor(envNumber(name, fallback, env));
}

export function envBool(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

/** "1KB" → 1024, "5MB" → 5242880, "1234" → 1234 (binary units, as the seed's sizes). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a size: ${JSON.stringify(text)} (use e.g. 10KB, 5MB)`);
  return Math.round(Number(m[1]) * unit);
}

/** Comma-separated sizes, e.g. CONDUIT_UPLOAD_SIZES=1KB,10KB,1MB. */
export function envSizes(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): number[] {
  const raw = env[name]?.trim() || fallback;
  try {
    return raw.split(',').map(parseSize);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}

/** Seconds of a "60 s" scenario: CONDUIT_LOAD_DURATION_S shortens (or lengthens) them all. */
export function loadDurationS(fallback = 60, env: NodeJS.ProcessEnv = process.env): number {
  return envNumber('CONDUIT_LOAD_DURATION_S', fallback, env);
}
