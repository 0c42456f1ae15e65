// The gateway as benches run it: built JS (dist/), as `npm start` does, so no tsx loader
// sits in its memory or CPU. ensureBuilt() rebuilds dist/ when src/gateway is newer.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The gateway's entry point, built. */
export const GATEWAY_CLI = join(ROOT, 'dist', 'gateway', 'cli.js');

/** Newest mtime (ms) of the .ts files under `dir`. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Build dist/ when it is missing or older than src/gateway (unless BENCH_NO_BUILD=1). */
export async function ensureBuilt(): Promise<void> {
  const stale = !existsSync(GATEWAY_CLI) || statSync(GATEWAY_CLI).mtimeMs < newestTs(join(ROOT, 'src', 'gateway'));
  if (!stale) return;
  if (process.env.BENCH_NO_BUILD === '1') {
    if (!existsSync(GATEWAY_CLI)) throw new Error('dist/gateway/cli.js is missing: run `npm run build`');
    console.error('warning: dist/ is older than src/ (BENCH_NO_BUILD=1: benchmarking it anyway)');
    return;
  }
  console.error('dist/ is older than src/: running `npm run build`');
  const child = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  // tsc emits even when it reports type errors (possibly in files outside the gateway).
  if (
    code !== 0 &&
    !(existsSync(GATEWAY_CLI) && statSync(GATEWAY_CLI).mtimeMs >= newestTs(join(ROOT, 'src', 'gateway')))
  ) {
    throw new Error(`npm run build failed (exit ${code})`);
  }
  if (code !== 0) console.error('warning: `npm run build` reported errors; dist/gateway was emitted and is used');
}
