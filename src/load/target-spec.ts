// What a load run is pointed at, as a user writes it (`conduitLoad({ target })`), checked
// once and turned into a plain, serialisable TargetSpec (it travels from the config to
// the global setup through Vitest's provide). Three shapes:
//   { command, env?, cwd?, url, wsUrl?, ready? }  a service the harness starts and stops
//   { url, wsUrl?, pid?, metricsUrl? }            a service that is already running
//   conduitGateway({...})                          the Conduit gateway (a preset)
// Every problem is reported with the option's name, e.g. `target.command`.
import { LoadError } from './errors.js';
import type { ConduitTarget } from './target.js';

/** A service the harness starts as a child process (its memory is read from its pid). */
export interface CommandTargetOptions {
  /**
   * The command that starts the service: a command line (split on spaces; quotes group;
   * no shell syntax) or its argv. Run from `cwd` with `env` over the current environment.
   */
  command: string | readonly string[];
  /** Variables for the service, over this process's environment (numbers become strings; undefined removes one). */
  env?: Record<string, string | number | boolean | undefined>;
  /** Working directory of the service, relative to the Vitest root. @default the Vitest root */
  cwd?: string;
  /**
   * The URL the scenarios load; the service is ready when it answers HTTP here (any
   * status). With `{port}` in it (`http://127.0.0.1:{port}`, for a service started on
   * port 0), `ready` must capture the port: `ready: /listening on port (\d+)/`.
   */
  url: string;
  /** WebSocket origin. @default `url`'s origin with ws: */
  wsUrl?: string;
  /**
   * Ready when a line of the service's stdout or stderr matches this (a string: contains
   * it), instead of when `url` answers; its first capture group fills `{port}` in the URLs.
   */
  ready?: RegExp | string;
  /** How long the service may take to get ready. @default 60000 */
  readyTimeoutMs?: number;
  /** After SIGTERM at the end of the run, how long to wait before SIGKILL. @default 10000 */
  stopTimeoutMs?: number;
  /** Where the service's stdout and stderr go, relative to the Vitest root. @default 'reports/load-target.out.log' */
  logFile?: string;
  /** A JSON endpoint with `process.rssBytes` / `process.postGcHeapBytes` (optional; RSS comes from the pid). */
  metricsUrl?: string;
  /** Bearer token sent with every request. */
  token?: string;
  /** The service's Node.js inspector (host:port), when it was started with --inspect. */
  inspector?: string;
}

/** A service that is already running: nothing is started or stopped. */
export interface UrlTargetOptions {
  url: string;
  wsUrl?: string;
  /** Its pid, for RSS from /proc (same machine only). */
  pid?: number;
  metricsUrl?: string;
  token?: string;
  inspector?: string;
}

/** The Conduit gateway, started as a child on port 0 (see docs/load-testing.md, "The target"). */
export interface GatewayTargetOptions {
  preset: 'conduit-gateway';
  /** `dist`, `tsx` or `auto`. @default CONDUIT_GATEWAY_RUNNER, else 'auto' */
  runner?: 'auto' | 'dist' | 'tsx';
  /** Start it with its inspector on a random loopback port. @default CONDUIT_GATEWAY_INSPECT, else true */
  inspect?: boolean;
  /** @default CONDUIT_GATEWAY_READY_TIMEOUT_MS, else 60000 */
  readyTimeoutMs?: number;
}

export type TargetOptions = CommandTargetOptions | UrlTargetOptions | GatewayTargetOptions;

/** What the harness reads of a target, whichever kind it is (ConduitTarget's fields). */
type TargetReadings = Pick<ConduitTarget, 'metricsUrl' | 'token' | 'inspector'>;
export type CommandTargetSpec = {
  kind: 'command';
  argv: string[];
  env: Record<string, string | null>;
  cwd?: string;
  url: string;
  httpUrl: string;
  wsUrl: string;
  /** A ready pattern (RegExp source and flags), or null: ready when `url` answers. */
  ready: { source: string; flags: string } | null;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  logFile: string;
} & TargetReadings;
export type UrlTargetSpec = { kind: 'url' } & Pick<ConduitTarget, 'httpUrl' | 'wsUrl' | 'pid'> & TargetReadings;
export type GatewayTargetSpec = {
  kind: 'gateway';
  runner?: 'auto' | 'dist' | 'tsx';
  inspect?: boolean;
  readyTimeoutMs?: number;
};
export type TargetSpec = CommandTargetSpec | UrlTargetSpec | GatewayTargetSpec;

/** The Conduit gateway preset: `conduitLoad({ target: conduitGateway() })`. */
export function conduitGateway(options: Omit<GatewayTargetOptions, 'preset'> = {}): GatewayTargetOptions {
  return { preset: 'conduit-gateway', ...options };
}

const COMMAND_KEYS = [
  'command',
  'env',
  'cwd',
  'url',
  'wsUrl',
  'ready',
  'readyTimeoutMs',
  'stopTimeoutMs',
  'logFile',
  'metricsUrl',
  'token',
  'inspector',
];
const URL_KEYS = ['url', 'wsUrl', 'pid', 'metricsUrl', 'token', 'inspector'];
const GATEWAY_KEYS = ['preset', 'runner', 'inspect', 'readyTimeoutMs'];

const bad = (message: string) => new LoadError('TARGET_OPTIONS', message);

/** Check a user's target description; every problem throws one LoadError naming the option. */
export function parseTargetOptions(input: unknown, name = 'target'): TargetSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad(
      `${name} must be an object: { command, url } to start a service, { url } for a running one, or conduitGateway()`,
    );
  }
  const o = input as Record<string, unknown>;
  if ('preset' in o) {
    if (o.preset !== 'conduit-gateway')
      throw bad(`${name}.preset must be 'conduit-gateway', got ${JSON.stringify(o.preset)}`);
    onlyKeys(o, GATEWAY_KEYS, name);
    if (o.runner !== undefined && !['auto', 'dist', 'tsx'].includes(o.runner as string)) {
      throw bad(`${name}.runner must be 'auto', 'dist' or 'tsx', got ${JSON.stringify(o.runner)}`);
    }
    if (o.inspect !== undefined && typeof o.inspect !== 'boolean') throw bad(`${name}.inspect must be true or false`);
    return {
      kind: 'gateway',
      ...(o.runner !== undefined ? { runner: o.runner as GatewayTargetSpec['runner'] } : {}),
      ...(o.inspect !== undefined ? { inspect: o.inspect as boolean } : {}),
      ...(o.readyTimeoutMs !== undefined
        ? { readyTimeoutMs: positive(o.readyTimeoutMs, `${name}.readyTimeoutMs`) }
        : {}),
    };
  }
  if (o.command === undefined && o.url === undefined) {
    throw bad(
      `${name} needs \`command\` and \`url\` (a service to start) or \`url\` (a running service); it has neither`,
    );
  }
  const httpUrl = origin(o.url, `${name}.url`, ['http:', 'https:']);
  const wsUrl =
    o.wsUrl === undefined ? httpUrl.replace(/^http/, 'ws') : origin(o.wsUrl, `${name}.wsUrl`, ['ws:', 'wss:']);
  const extras = {
    ...(o.metricsUrl !== undefined ? { metricsUrl: url(o.metricsUrl, `${name}.metricsUrl`) } : {}),
    ...(o.token !== undefined ? { token: text(o.token, `${name}.token`) } : {}),
    ...(o.inspector !== undefined ? { inspector: text(o.inspector, `${name}.inspector`) } : {}),
  };
  if (o.command === undefined) {
    onlyKeys(o, URL_KEYS, name, ' (a running service; add `command` to have it started)');
    if (httpUrl.includes('{port}') || wsUrl.includes('{port}'))
      throw bad(`${name}.url: {port} is for a service the run starts (with \`command\` and \`ready\`)`);
    const pid = o.pid === undefined ? undefined : positiveInt(o.pid, `${name}.pid`);
    return { kind: 'url', httpUrl, wsUrl, ...(pid !== undefined ? { pid } : {}), ...extras };
  }
  onlyKeys(o, COMMAND_KEYS, name);
  const ready = readyOf(o.ready, `${name}.ready`);
  if (
    [httpUrl, wsUrl].some((u) => u.includes('{port}')) &&
    !(ready && new RegExp(`${ready.source}|`).exec('')!.length > 1)
  ) {
    throw bad(
      `${name}.url has {port}: give \`ready\` a RegExp whose first group captures the port the service prints, e.g. /listening on port (\\d+)/`,
    );
  }
  return {
    kind: 'command',
    argv: argvOf(o.command, `${name}.command`),
    env: envOf(o.env, `${name}.env`),
    ...(o.cwd !== undefined ? { cwd: text(o.cwd, `${name}.cwd`) } : {}),
    url: url(o.url, `${name}.url`),
    httpUrl,
    wsUrl,
    ready,
    readyTimeoutMs: o.readyTimeoutMs === undefined ? 60_000 : positive(o.readyTimeoutMs, `${name}.readyTimeoutMs`),
    stopTimeoutMs: o.stopTimeoutMs === undefined ? 10_000 : positive(o.stopTimeoutMs, `${name}.stopTimeoutMs`),
    logFile: o.logFile === undefined ? 'reports/load-target.out.log' : text(o.logFile, `${name}.logFile`),
    ...extras,
  };
}

function onlyKeys(o: Record<string, unknown>, known: readonly string[], name: string, hint = ''): void {
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw bad(`unknown option ${unknown.map((k) => `${name}.${k}`).join(', ')}${hint}; known: ${known.join(', ')}`);
  }
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw bad(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** Stands for `{port}` while a URL template is parsed. */
const PORT_STANDIN = '65535';

function url(value: unknown, name: string): string {
  const raw = text(value, name);
  try {
    if (raw.includes('{port}')) return withPort(new URL(raw.replaceAll('{port}', PORT_STANDIN)).href);
    return new URL(raw).href;
  } catch {
    throw bad(`${name} must be an absolute URL such as http://127.0.0.1:8080, got ${JSON.stringify(raw)}`);
  }
}

function origin(value: unknown, name: string, protocols: readonly string[]): string {
  const parsed = new URL(url(value, name).replaceAll('{port}', PORT_STANDIN));
  if (!protocols.includes(parsed.protocol))
    throw bad(`${name} must be a ${protocols.join(' or ')} URL, got ${JSON.stringify(value)}`);
  return (value as string).includes('{port}') ? withPort(parsed.origin) : parsed.origin;
}

function withPort(href: string): string {
  return href.replace(`:${PORT_STANDIN}`, ':{port}');
}

/** A URL template with its `{port}` filled in. */
export function fillPort(template: string, port: string | undefined): string {
  return port === undefined ? template : template.replaceAll('{port}', port);
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw bad(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return value;
}

function positiveInt(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0)
    throw bad(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

const SHELL_SYNTAX = /[|&;<>()$`\\*?]/;

/** A command line split like a shell would split a simple command: spaces separate, quotes group. */
export function splitCommand(line: string, name = 'command'): string[] {
  const argv: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started || current) argv.push(current);
      current = '';
      started = false;
    } else {
      if (SHELL_SYNTAX.test(ch)) {
        throw bad(
          `${name} is run without a shell, so ${JSON.stringify(ch)} means nothing there: give argv instead, e.g. ['sh', '-c', ${JSON.stringify(line)}]`,
        );
      }
      current += ch;
    }
  }
  if (quote) throw bad(`${name} has an unclosed ${quote}: ${JSON.stringify(line)}`);
  if (started || current) argv.push(current);
  return argv;
}

function argvOf(value: unknown, name: string): string[] {
  const argv = typeof value === 'string' ? splitCommand(value, name) : Array.isArray(value) ? value : undefined;
  if (!argv || argv.length === 0 || argv.some((a) => typeof a !== 'string') || argv[0] === '') {
    throw bad(`${name} must be a command line or a non-empty array of strings, got ${JSON.stringify(value)}`);
  }
  return [...(argv as string[])];
}

function envOf(value: unknown, name: string): Record<string, string | null> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${name} must be an object of variables`);
  const env: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) env[key] = null;
    else if (['string', 'number', 'boolean'].includes(typeof v)) env[key] = String(v);
    else throw bad(`${name}.${key} must be a string, number or boolean, got ${JSON.stringify(v)}`);
  }
  return env;
}

function readyOf(value: unknown, name: string): CommandTargetSpec['ready'] {
  if (value === undefined) return null;
  if (value instanceof RegExp) return { source: value.source, flags: value.flags.replace(/[gy]/g, '') };
  if (typeof value === 'string' && value !== '')
    return { source: value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), flags: '' };
  throw bad(`${name} must be a RegExp or a non-empty string (a line of the service's output that says it is ready)`);
}
