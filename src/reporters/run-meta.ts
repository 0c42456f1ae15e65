// Run metadata for results.json: the only impure inputs of a report (clock, git, host).

import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { RunMeta } from './model.js';

/** GITHUB_SHA in CI, else `git rev-parse HEAD` in `cwd` (bounded to 2 s), else undefined. */
export function detectGitSha(cwd: string): string | undefined {
  if (process.env.GITHUB_SHA) return process.env.GITHUB_SHA;
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    }).trim();
    return /^[0-9a-f]{7,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

export function currentRunMeta(cwd: string, reason: string, gitSha = detectGitSha(cwd)): RunMeta {
  return {
    generatedAt: new Date().toISOString(),
    ...(gitSha ? { gitSha } : {}),
    nodeVersion: process.version,
    cores: availableParallelism(),
    platform: `${process.platform}-${process.arch}`,
    reason,
  };
}
