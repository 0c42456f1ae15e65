// How to run the Conduit gateway as a child. `auto` (default) prefers the built
// `dist/gateway/cli.js` (what `npm start` runs) when it is newer than every file under
// src/; otherwise it builds with `tsc -p tsconfig.build.json` and uses the result; if
// that produced nothing it falls back to `node --import tsx src/gateway/cli.ts`.
// CONDUIT_GATEWAY_RUNNER=dist|tsx|auto forces a choice.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type GatewayRunner = 'auto' | 'dist' | 'tsx';

export interface GatewayCommand {
  command: string;
  args: string[];
  /** What was chosen and why (printed by the global setup). */
  note: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function distIsFresh(root: string): boolean {
  const cli = join(root, 'dist', 'gateway', 'cli.js');
  if (!existsSync(cli)) return false;
  return statSync(cli).mtimeMs >= newestMtime(join(root, 'src'));
}

/**
 * `nodeFlags`: the gateway's own Node flags (GATEWAY_NODE_FLAGS of the gateway's index), as
 * `npm start` passes them; the caller loads them, so this module does not load the gateway.
 */
export function gatewayCommand(root: string, runner: GatewayRunner, nodeFlags: readonly string[]): GatewayCommand {
  const node = process.execPath;
  const dist = { command: node, args: [...nodeFlags, join(root, 'dist', 'gateway', 'cli.js'), 'serve'] };
  const tsx = {
    command: node,
    args: [...nodeFlags, '--import', 'tsx', join(root, 'src', 'gateway', 'cli.ts'), 'serve'],
  };
  if (runner === 'tsx') return { ...tsx, note: 'tsx (forced)' };
  if (runner === 'dist') return { ...dist, note: 'dist (forced)' };
  if (distIsFresh(root)) return { ...dist, note: 'dist (up to date)' };
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(node, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  // tsc emits even with type errors; use the output when it is there and fresh.
  if (distIsFresh(root)) {
    const note = build.status === 0 ? 'dist (built now)' : 'dist (built now, with type errors)';
    return { ...dist, note };
  }
  return {
    ...tsx,
    note: `tsx (build did not produce dist: ${(build.stderr || build.stdout || build.error?.message || '').trim().slice(0, 200)})`,
  };
}
