// Package folders (src/gateway, src/load, src/reporters, src/vitest, …) meet only at their
// public index: an import from one package folder into another must name that folder's
// index.ts, never a file inside it. The load scenarios (test-load/) are consumers and
// follow the same rule. Tests under test/ may reach internals (they test them).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

// Static imports and re-exports (`from '…'`, also `import type`), side-effect imports and
// dynamic `import('…')` with a literal specifier.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

/** Relative specifiers of a module's imports, with their line numbers. */
function relativeImports(text: string): Array<{ specifier: string; line: number }> {
  const found: Array<{ specifier: string; line: number }> = [];
  for (const match of text.matchAll(SPECIFIER)) {
    found.push({ specifier: match[2]!, line: text.slice(0, match.index).split('\n').length });
  }
  return found;
}

/** The package folder (first directory under src/) of a path, or undefined outside src/. */
function packageOf(path: string, src = SRC): string | undefined {
  const rel = relative(src, path);
  if (rel.startsWith('..') || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

/** Imports that cross into another package folder without going through its index.ts. */
function deepImports(files: readonly string[], src = SRC): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = packageOf(file, src);
    for (const { specifier, line } of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const to = packageOf(target, src);
      if (to === undefined || to === from) continue;
      if (target !== join(src, to, 'index.ts')) {
        problems.push(`${relative(dirname(src), file)}:${line} imports ${specifier} (use src/${to}/index.ts)`);
      }
    }
  }
  return problems;
}

describe('package boundaries', () => {
  it('finds the imports it checks (the scan is not empty)', () => {
    const text = [
      "import { a } from '../load/index.js';",
      "import type { B } from '../../load/result.js';",
      "export { c } from './c.js';",
      "const m = await import('../reporters/merge.js');",
      "import './side-effect.js';",
    ].join('\n');
    expect(relativeImports(text).map((i) => i.specifier)).toEqual([
      '../load/index.js',
      '../../load/result.js',
      './c.js',
      '../reporters/merge.js',
      './side-effect.js',
    ]);
  });

  it('flags a deep import across package folders and accepts the index and its own folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'conduit-boundaries-'));
    try {
      const src = join(root, 'src');
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(src, path)), { recursive: true });
        writeFileSync(join(src, path), text);
      };
      write('b/index.ts', "export * from './deep.js';\n");
      write('b/deep.ts', 'export const x = 1;\n');
      write('a/ok.ts', "import { x } from '../b/index.js';\nimport { y } from './internal/y.js';\n");
      write('a/bad.ts', "// header\nimport type { x } from '../b/deep.js';\n");
      write('a/lazy.ts', "export const load = () => import('../b/deep.js');\n");
      const files = ['a/ok.ts', 'a/bad.ts', 'a/lazy.ts'].map((f) => join(src, f));
      expect(deepImports(files, src)).toEqual([
        'src/a/bad.ts:2 imports ../b/deep.js (use src/b/index.ts)',
        'src/a/lazy.ts:1 imports ../b/deep.js (use src/b/index.ts)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('scans every package folder of src/', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    expect([...new Set(files.map((f) => packageOf(f)))]).toEqual(
      expect.arrayContaining(['gateway', 'load', 'reporters']),
    );
  });

  it('src/: every import across package folders goes through the folder index', () => {
    expect(deepImports(sourceFiles(SRC))).toEqual([]);
  });

  it('test-load/: scenarios import the packages through their index only', () => {
    expect(deepImports(sourceFiles(join(ROOT, 'test-load')))).toEqual([]);
  });
});
