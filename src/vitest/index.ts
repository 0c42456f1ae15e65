// Public entry of the Conduit Vitest plugin (`<pkg>/vitest`):
//   defineConfig({ plugins: [conduitLoad({ target })], test: { include: ['load/**/*.load.ts'] } })

// --- The plugin and its options ---
export { conduitLoad } from './plugin.js';
export type { ConduitLoadOptions } from './options.js';

// --- Targets: a command to start, a running service, or the Conduit gateway preset ---
export { conduitGateway } from '../load/index.js';
export type { CommandTargetOptions, GatewayTargetOptions, TargetOptions, UrlTargetOptions } from '../load/index.js';

// --- Errors raised while the config loads ---
export { ConduitPluginError, PLUGIN_ERRORS } from './errors.js';
export type { PluginErrorCode } from './errors.js';
