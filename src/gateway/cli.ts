#!/usr/bin/env node
// `conduit` — the gateway's command line.
//   conduit [serve]              run the gateway (configuration from CONDUIT_* and the YAML file)
//   conduit config check FILE    validate a YAML configuration file; exit 0 ok, 1 problems
//   conduit blobs verify [--dir D]  check a local blob store against its manifest
//   conduit --version | --help
import { readFileSync } from 'node:fs';

const USAGE = `usage:
  conduit [serve]                  run the gateway (see docs/configuration.md)
  conduit config check FILE        validate a configuration file (exit 0 ok, 1 problems)
  conduit blobs verify [--dir DIR] verify a local blob store (exit 0 ok, 1 problems)
  conduit --version | --help`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/** `conduit config check FILE`: prints every problem; returns the exit code. */
export async function configCheck(args: string[]): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0) {
    process.stderr.write(`usage: conduit config check FILE\n`);
    return 2;
  }
  const { loadFileConfig } = await import('./config/file.js');
  const result = await loadFileConfig(file);
  if (result.ok) {
    const tenants = Object.keys(result.config.tenants).length;
    const rules = Object.keys(result.config.streams).length;
    process.stdout.write(
      `${file}: ok (${tenants} tenant${tenants === 1 ? '' : 's'}, ${rules} stream rule${rules === 1 ? '' : 's'})\n`,
    );
    return 0;
  }
  const n = result.problems.length;
  process.stdout.write(
    `${file}: ${n} problem${n === 1 ? '' : 's'}\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  return 1;
}

export async function main(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'serve') {
    const { serve } = await import('./server.js');
    await serve();
    return undefined; // keeps running; signals end it
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (cmd === 'config' && rest[0] === 'check') return configCheck(rest.slice(1));
  if (cmd === 'blobs' && rest[0] === 'verify') {
    const [{ runBlobsVerify }, { parseEnv }] = await Promise.all([
      import('./blobs/index.js'),
      import('./config/env.js'),
    ]);
    return runBlobsVerify(rest, parseEnv());
  }
  process.stderr.write(`conduit: unknown command ${JSON.stringify(argv.join(' '))}\n${USAGE}\n`);
  return 2;
}

const code = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`conduit: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
});
if (code !== undefined) process.exitCode = code;
