// Scenario knobs by prefix: `defineKnobs('CONDUIT_WS', { subscribers: 100, nackDelayMs: 100 })`
// reads CONDUIT_WS_SUBSCRIBERS and CONDUIT_WS_NACK_DELAY_MS (camelCase → UPPER_SNAKE), so
// every figure of a scenario has its default in one object and an environment override.
// The default's type is the knob's type: an integer default gives an integer (floored:
// counts, milliseconds) unless the knob is listed in `fractions` (e.g. minutes), a
// fraction a number, a boolean a boolean, a string the raw text.
import { LoadError } from '../errors.js';
import { envBool, envNumber } from '../knobs.js';

export type KnobValue = number | boolean | string;
export type Knobs<T extends Record<string, KnobValue>> = {
  readonly [K in keyof T]: T[K] extends number ? number : T[K] extends boolean ? boolean : string;
};

/** `nackDelayMs` → `NACK_DELAY_MS`, `minMsgPerS` → `MIN_MSG_PER_S`. */
export function knobVariable(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export interface DefineKnobsOptions<T> {
  /** Knobs with an integer default that still take fractions from the environment. @default [] */
  fractions?: ReadonlyArray<keyof T & string>;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export function defineKnobs<T extends Record<string, KnobValue>>(
  prefix: string,
  defaults: T,
  options: DefineKnobsOptions<T> = {},
): Knobs<T> {
  const env = options.env ?? process.env;
  const fractions: readonly string[] = options.fractions ?? [];
  const knobs: Record<string, KnobValue> = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    const name = knobVariable(prefix, key);
    try {
      if (typeof fallback === 'boolean') knobs[key] = envBool(name, fallback, env);
      else if (typeof fallback === 'number') {
        const value = envNumber(name, fallback, env);
        knobs[key] = Number.isInteger(fallback) && !fractions.includes(key) ? Math.floor(value) : value;
      } else knobs[key] = env[name]?.trim() || fallback;
    } catch (error) {
      throw new LoadError('KNOB', (error as Error).message);
    }
  }
  return Object.freeze(knobs) as Knobs<T>;
}
