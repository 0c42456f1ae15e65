// The Vitest plugin's error catalogue: problems with `conduitLoad(options)`, raised while
// Vitest loads the config — before any target is started or any load is sent.

export const PLUGIN_ERRORS = {
  PLUGIN_OPTIONS: {
    description:
      'An option of conduitLoad() is unknown or has a wrong value (the target description included); the message names the option.',
  },
} as const satisfies Record<string, { description: string }>;

export type PluginErrorCode = keyof typeof PLUGIN_ERRORS;

export class ConduitPluginError extends Error {
  readonly code: PluginErrorCode;
  constructor(code: PluginErrorCode, message: string) {
    super(`conduitLoad: ${message}`);
    this.name = 'ConduitPluginError';
    this.code = code;
  }
}
