// The package as a user gets it: `npm pack` (its prepack builds) → a fresh project with
// only vitest and the tarball → the docs' quick start (README and docs/load-testing.md,
// the blocks marked `<!-- quickstart: FILE -->`) written there verbatim → `vitest run`
// against a tiny node:http service that is not Conduit. The tarball's dependencies are
// linked from this repository's node_modules (the registry is not needed, and a missing
// dependency in package.json still fails: only the declared ones are linked).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive } from '../support/process.js';
import { freePort } from '../support/ports.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', 'docs/load-testing.md'];
const tmp = mkdtempSync(join(tmpdir(), 'conduit-pack-'));
const project = join(tmp, 'project');
const children: ChildProcess[] = [];
const targetPids: number[] = [];

/** The quick-start files of a doc: `<!-- quickstart: PATH -->` then a fenced block. */
function quickstart(doc: string): Record<string, string> {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  const files: Record<string, string> = {};
  for (const m of text.matchAll(/<!-- quickstart: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) files[m[1]!] = `${m[2]}\n`;
  return files;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `vitest run --config CONFIG` in the project, as its user would run it (no Conduit or Vitest variables of ours). */
function vitest(config: string, env: Record<string, string>): Promise<Run> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(CONDUIT_|VITEST|NODE_OPTIONS$|GITHUB_STEP_SUMMARY$)/.test(k)),
  );
  const child = spawn(process.execPath, [join(project, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config], {
    cwd: project,
    env: { ...clean, FORCE_COLOR: '0', CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

let packed: { filename: string; files: Array<{ path: string }> };

beforeAll(() => {
  // npm pack runs prepack (a clean build) and prints its JSON summary on stdout.
  const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(pack.status, pack.stderr).toBe(0);
  [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [typeof packed];

  const installed = join(project, 'node_modules', 'conduit');
  mkdirSync(installed, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', join(tmp, packed.filename), '-C', installed, '--strip-components=1'], {
    encoding: 'utf8',
  });
  expect(untar.status, untar.stderr).toBe(0);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
  };
  // What `npm install` would put beside it: the declared dependencies and the peer (vitest).
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'my-service',
      private: true,
      type: 'module',
      devDependencies: { vitest: manifest.peerDependencies.vitest, conduit: `file:../${packed.filename}` },
    }),
  );
  for (const [path, text] of Object.entries(quickstart(DOCS[0]!))) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), text);
  }
}, 300_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of targetPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships built JS and .d.ts for every export and the gateway bin, and no sources or tests', () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const entry of ['load', 'reporters', 'vitest', 'gateway']) {
      expect(files, entry).toContain(`dist/${entry}/index.js`);
      expect(files, entry).toContain(`dist/${entry}/index.d.ts`);
    }
    expect(files).toContain('dist/gateway/cli.js');
    expect(files).toContain('dist/vitest/global-setup.js');
    expect(
      [...files].filter(
        (f) => /^(src|test|test-load|bench|scripts)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
      ),
    ).toEqual([]);
  });

  it('the quick start is the same in README.md and docs/load-testing.md', () => {
    const [readme, guide] = DOCS.map(quickstart);
    expect(Object.keys(readme!).sort()).toEqual(['load/hello.load.ts', 'server.mjs', 'vitest.load.config.mjs']);
    expect(guide).toEqual(readme);
  });

  it("the docs' quick start runs in a fresh project: exit 0, tables, reports, the service's pid and /proc memory, the service gone", async () => {
    const port = await freePort();
    const run = await vitest('vitest.load.config.mjs', { PORT: String(port) });
    const started = /conduit: target pid (\d+) at http:\/\/127\.0\.0\.1:(\d+) \(node server\.mjs\)/.exec(run.stdout);
    if (started) targetPids.push(Number(started[1]));
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(started?.[2]).toBe(String(port));
    // The package's source maps are shipped with it (Vite reads them for stack traces).
    expect(run.stderr).not.toContain('Failed to load source map');
    expect(run.stdout).toMatch(/▶ hello — 5 s against http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/http\.latency\s+ms\s+[\d,]+\s+[\d.]+/);
    for (const file of ['summary.md', 'results.json', 'report.html'])
      expect(existsSync(join(project, 'reports/load', file)), file).toBe(true);

    const results = JSON.parse(readFileSync(join(project, 'reports/load/results.json'), 'utf8')) as {
      verdict: { passed: boolean };
      scenarios: Array<{
        scenario: string;
        target: { pid?: number; managed: boolean };
        memory: { source: string; samples: Array<{ rssBytes: number }> };
      }>;
    };
    const [hello] = results.scenarios;
    expect(hello).toMatchObject({
      scenario: 'hello',
      target: { pid: Number(started![1]), managed: true },
      memory: { source: 'proc' },
    });
    expect(hello!.memory.samples.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...hello!.memory.samples.map((s) => s.rssBytes))).toBeGreaterThan(10 * 1024 * 1024);
    expect(alive(hello!.target.pid!)).toBe(false);
    expect(readFileSync(join(project, 'reports/load/summary.md'), 'utf8')).toContain('hello');
  }, 180_000);

  it('an unknown plugin option fails the run with one error naming it, before the service is started', async () => {
    const config = readFileSync(join(project, 'vitest.load.config.mjs'), 'utf8').replace('target:', 'tagret:');
    writeFileSync(join(project, 'vitest.bad.config.mjs'), config);
    const run = await vitest('vitest.bad.config.mjs', { PORT: String(await freePort()) });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('conduitLoad: unknown option "tagret" (did you mean "target"?)');
    expect(run.stdout).not.toContain('conduit: target pid');
  }, 120_000);

  it('a target with neither command nor url fails the run with one clear error', async () => {
    const config = readFileSync(join(project, 'vitest.load.config.mjs'), 'utf8').replace(
      /target: .*,$/m,
      'target: { env: { PORT } },',
    );
    expect(config).toContain('target: { env: { PORT } }');
    writeFileSync(join(project, 'vitest.empty.config.mjs'), config);
    const run = await vitest('vitest.empty.config.mjs', { PORT: '1' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'conduitLoad: target needs `command` and `url` (a service to start) or `url` (a running service); it has neither',
    );
  }, 120_000);
});
