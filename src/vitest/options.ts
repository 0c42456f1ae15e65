// conduitLoad()'s options: checked once, when the config is loaded, with defaults applied
// and the result frozen. An unknown or malformed option throws one ConduitPluginError
// naming it — before any target is started or any load is sent.
import { DEFAULT_REPORTER_OPTIONS } from '../reporters/index.js';
import type { ConduitLoadReporterOptions } from '../reporters/index.js';
import { envNumber, isLoadError, parseTargetOptions } from '../load/index.js';
import type { TargetOptions, TargetSpec } from '../load/index.js';
import { ConduitPluginError } from './errors.js';

export interface ConduitLoadOptions {
  /**
   * What the scenarios load: `{ command, url, env?, cwd?, wsUrl?, ready? }` (started as
   * a child and stopped at the end), `{ url }` (already running) or `conduitGateway()`.
   * CONDUIT_TARGET_URL, when set, replaces it for a run.
   * @default none: CONDUIT_TARGET_URL must then be set
   */
  target?: TargetOptions;
  /** Options of the Conduit reporter, or false to add no reporter. @default {} */
  reporter?: Partial<ConduitLoadReporterOptions> | false;
  /**
   * The longest scenario's duration in seconds; the test timeout is this plus `slackS`.
   * @default the larger of CONDUIT_LOAD_DURATION_S (else 60) and CONDUIT_SOAK_DURATION_MIN × 60 when set
   */
  durationS?: number;
  /** Time a scenario may take beyond its duration (settling deliveries, shutdown checks). @default 180 */
  slackS?: number;
  /** Register the threshold matchers in every scenario file (a setup file). @default true */
  matchers?: boolean;
}

export interface ResolvedOptions {
  readonly target: TargetSpec | null;
  readonly reporter: Readonly<Partial<ConduitLoadReporterOptions>> | false;
  readonly durationS: number;
  readonly slackS: number;
  readonly matchers: boolean;
}

/** What the plugin hands to its global setup through Vitest's provide (plain JSON). */
export interface ProvidedOptions {
  target: TargetSpec | null;
}

export const PROVIDE_KEY = 'conduitLoad' as const;

declare module 'vitest' {
  interface ProvidedContext {
    conduitLoad: ProvidedOptions;
  }
}

const KNOWN: ReadonlyArray<keyof ConduitLoadOptions> = ['target', 'reporter', 'durationS', 'slackS', 'matchers'];

const bad = (message: string) => new ConduitPluginError('PLUGIN_OPTIONS', message);

/** The default duration the timeouts are derived from (see ConduitLoadOptions.durationS). */
export function defaultDurationS(env: NodeJS.ProcessEnv = process.env): number {
  const load = envNumber('CONDUIT_LOAD_DURATION_S', 60, env);
  const soakMin = envNumber('CONDUIT_SOAK_DURATION_MIN', 0, env);
  return Math.max(load, soakMin * 60);
}

export function resolveOptions(input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('options must be an object');
  const o = input as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(KNOWN as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw bad(
      `unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}${suggest(unknown[0]!, KNOWN)}; known options: ${KNOWN.join(', ')}`,
    );
  }
  let target: TargetSpec | null = null;
  if (o.target !== undefined) {
    try {
      target = parseTargetOptions(o.target, 'target');
    } catch (error) {
      throw isLoadError(error) ? bad(error.message) : error;
    }
  } else if (!env.CONDUIT_TARGET_URL) {
    throw bad(
      'no target: give `target` ({ command, url } to start a service, { url } for a running one, or conduitGateway()), or set CONDUIT_TARGET_URL',
    );
  }
  return Object.freeze({
    target,
    reporter: reporterOptions(o.reporter),
    durationS: o.durationS === undefined ? defaultDurationS(env) : positive(o.durationS, 'durationS'),
    slackS: o.slackS === undefined ? 180 : positive(o.slackS, 'slackS', true),
    matchers: o.matchers === undefined ? true : bool(o.matchers, 'matchers'),
  });
}

function reporterOptions(value: unknown): ResolvedOptions['reporter'] {
  if (value === undefined) return Object.freeze({});
  if (value === false) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad("reporter must be the reporter's options (an object) or false");
  const known = Object.keys(DEFAULT_REPORTER_OPTIONS);
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw bad(
      `unknown option ${unknown.map((k) => `reporter.${k}`).join(', ')}${suggest(unknown[0]!, known)}; known reporter options: ${known.join(', ')}`,
    );
  }
  return Object.freeze({ ...(value as Partial<ConduitLoadReporterOptions>) });
}

function positive(value: unknown, name: string, zeroOk = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) {
    throw bad(
      `${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number of seconds, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw bad(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** " (did you mean X?)" for a near miss (same letters ignoring case, or one edit away). */
function suggest(name: string, known: readonly string[]): string {
  const near = known.find(
    (k) => k.toLowerCase() === name.toLowerCase() || editDistance(k.toLowerCase(), name.toLowerCase()) <= 2,
  );
  return near ? ` (did you mean "${near}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
