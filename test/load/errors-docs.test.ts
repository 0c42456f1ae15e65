// Every coded error of the harness and of the plugin has a row in docs/load-testing.md
// ("Errors"), and every row there names a code that exists.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOAD_ERRORS } from '../../src/load/index.js';
import { PLUGIN_ERRORS } from '../../src/vitest/index.js';

const doc = readFileSync(new URL('../../docs/load-testing.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('#### Errors'), doc.indexOf('\n### ', doc.indexOf('#### Errors')));

describe('error codes in docs/load-testing.md', () => {
  it('documents every code, and only codes that exist', () => {
    const codes = [...Object.keys(LOAD_ERRORS), ...Object.keys(PLUGIN_ERRORS)].sort();
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(codes.length).toBeGreaterThan(5);
    expect(rows).toEqual(codes);
  });
});
