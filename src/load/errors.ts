// The load harness's error catalogue: every error the harness raises about its setup
// (the target it starts or connects to) has a stable code, a description and is created
// here, so a caller can tell them apart by `code` and docs/load-testing.md lists them all
// (test/load/errors-docs.test.ts keeps the two in step).

export const LOAD_ERRORS = {
  TARGET_OPTIONS: {
    description:
      'The target description is invalid (neither `command` nor `url`, an unknown key, a wrong type); the message names the option.',
  },
  TARGET_SPAWN: {
    description: 'The target command could not be started (not found, not executable, bad cwd).',
  },
  TARGET_EXITED: {
    description: 'The target command exited before it was ready; the message quotes its last output.',
  },
  TARGET_NOT_READY: {
    description:
      'The target did not get ready (its URL answering HTTP, its ready pattern or message) within the ready timeout; the message quotes its last output.',
  },
  TARGET_FAILED: {
    description: 'The target reported a startup failure itself (a `conduit:error` IPC message).',
  },
  TARGET_UNCLEAN_EXIT: {
    description: 'A managed target that must exit 0 on SIGTERM (the Conduit gateway) did not, or needed SIGKILL.',
  },
  THRESHOLD: {
    description:
      "A declared threshold does not parse (an unknown key, or a bound such as '< fast'); the message names it. Raised before any load is sent.",
  },
  KNOB: {
    description:
      'An environment variable overriding a scenario knob has a malformed value; the message names the variable.',
  },
  NO_TARGET: {
    description: 'A scenario asked for its target but none was provided (no plugin target, no CONDUIT_TARGET_URL).',
  },
} as const satisfies Record<string, { description: string }>;

export type LoadErrorCode = keyof typeof LOAD_ERRORS;

export class LoadError extends Error {
  readonly code: LoadErrorCode;
  /** The tail of the target's output (stdout and stderr), when the error is about a started command. */
  readonly output: string;

  constructor(code: LoadErrorCode, message: string, output = '') {
    const tail = output.trim();
    super(tail ? `${message}\n--- last output of the target ---\n${tail}` : message);
    this.name = 'LoadError';
    this.code = code;
    this.output = output;
  }
}

export function isLoadError(error: unknown, code?: LoadErrorCode): error is LoadError {
  return error instanceof LoadError && (code === undefined || error.code === code);
}
