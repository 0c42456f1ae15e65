// docs/configuration.md documents every environment variable with its real default, and
// the protocol docs name every error code of the catalogue.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/gateway/config/env.js';
import { ERRORS } from '../../src/gateway/errors.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| `(CONDUIT_[A-Z0-9_]+)` \| ([^|]*) \|/.exec(line);
    if (m) rows.set(m[1], m[2].trim());
  }
  const defaults = envSchema.parse({}) as Record<string, unknown>;

  it('has one table row for every key of envSchema, and no stale rows', () => {
    const keys = Object.keys(envSchema.shape).sort();
    expect([...rows.keys()].sort()).toEqual(keys);
  });

  it('shows each default as the schema has it', () => {
    for (const [key, value] of Object.entries(defaults)) {
      const cell = rows.get(key);
      if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
        expect(cell, key).toMatch(/^\*\((unset|empty)\)\*$/);
      } else {
        expect(cell, key).toBe(`\`${String(value)}\``);
      }
    }
  });
});

describe('error catalogue docs', () => {
  it('names every ERRORS code in docs/protocol-http.md or docs/protocol-ws.md', () => {
    const docs = ['docs/protocol-http.md', 'docs/protocol-ws.md']
      .filter((p) => existsSync(new URL(`../../${p}`, import.meta.url)))
      .map(read)
      .join('\n');
    const missing = Object.keys(ERRORS).filter((code) => !docs.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
