// Every CONDUIT_* variable the load harness, its config and the scenarios read is
// documented in docs/load-testing.md, and every scenario knob's row there states the
// default the code uses. Scans the sources, so a new knob without docs fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { knobVariable } from '../../src/load/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/load-testing.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? files(path) : /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

const sources = [
  ...files('test-load'),
  ...files('src/load'),
  ...files('src/reporters'),
  ...files('src/vitest'),
  'vitest.load.config.ts',
];

/** Knobs declared with `defineKnobs('PREFIX', { key: default, … })`: their variables and defaults. */
function declaredKnobs(text: string): Array<{ name: string; fallback: string }> {
  const knobs: Array<{ name: string; fallback: string }> = [];
  for (const block of text.matchAll(
    /defineKnobs\(\s*'(CONDUIT_[A-Z0-9_]+)',\s*\{([\s\S]*?)\}\s*(?:,\s*\{[^}]*\}\s*)?,?\s*\)/g,
  )) {
    const body = block[2]!.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of body.matchAll(/(\w+):\s*('[^']*'|[^,\n]+)/g))
      knobs.push({ name: knobVariable(block[1]!, m[1]!), fallback: m[2]!.trim() });
  }
  return knobs;
}

/** CONDUIT_* names read by the sources (a bare prefix such as `CONDUIT_TARGET_` is not a name), knobs by prefix included. */
function namesIn(path: string): string[] {
  const text = readFileSync(join(root, path), 'utf8');
  return [
    ...[...text.matchAll(/\bCONDUIT_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]),
    ...declaredKnobs(text).map((k) => k.name),
  ].filter((name) => !/^CONDUIT_[A-Z]+$/.test(name) || !new RegExp(`defineKnobs\\(\\s*'${name}'`).test(text));
}

/** Table row of `name` in the doc: `| \`NAME\` | default | meaning |`. */
function row(name: string): string[] | undefined {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  return line
    ?.split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

describe('docs/load-testing.md', () => {
  it('has a table row (name, default, meaning) for every CONDUIT_* variable the harness, the load config and the scenarios read', () => {
    const missing = new Map<string, string[]>();
    for (const path of sources) {
      for (const name of namesIn(path)) {
        const cells = row(name);
        if (!cells?.[1] || !cells[2])
          missing.set(name, [...new Set([...(missing.get(name) ?? []), relative(root, join(root, path))])]);
      }
    }
    expect(Object.fromEntries(missing)).toEqual({});
    expect(sources.length).toBeGreaterThan(20); // the scan really ran
  });

  it('gives each scenario knob a table row whose default is the one in the code', () => {
    const knobs: Array<{ name: string; fallback: string; file: string }> = [];
    for (const path of files('test-load')) {
      const text = readFileSync(join(root, path), 'utf8');
      for (const m of text.matchAll(/env(?:Int|Number|Bool|Sizes)\('(CONDUIT_[A-Z0-9_]+)',\s*([^)]*?)\)(?:,|\n|;)/g)) {
        knobs.push({ name: m[1]!, fallback: m[2]!.trim(), file: path });
      }
      for (const knob of declaredKnobs(text)) knobs.push({ ...knob, file: path });
      if (text.includes('loadDurationS(60)'))
        knobs.push({ name: 'CONDUIT_LOAD_DURATION_S', fallback: '60', file: path });
    }
    expect(knobs.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const { name, fallback, file } of knobs) {
      const cells = row(name);
      if (!cells) {
        wrong.push(`${name} (${file}): no table row`);
        continue;
      }
      const documented = cells[1] ?? '';
      // A literal default must appear as written (15_000 → 15000, '1KB,…' → 1KB,…);
      // a computed one (e.g. depends on the duration) needs a non-empty default cell.
      const literal =
        /^'([^']*)'$/.exec(fallback)?.[1] ??
        (/^[\d_.]+$|^true$|^false$/.test(fallback) ? fallback.replace(/_/g, '') : undefined);
      if (literal !== undefined ? !documented.includes(literal) : documented === '') {
        wrong.push(`${name} (${file}): code default ${fallback}, documented "${documented}"`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only shows npm scripts that exist', () => {
    const used = new Set([...doc.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/npm run ([a-z:-]+)/g)) used.add(m[1]!);
    expect([...used].filter((s) => !(s in pkg.scripts))).toEqual([]);
    expect(used).toContain('load');
  });
});
