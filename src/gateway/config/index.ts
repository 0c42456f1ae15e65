export { envSchema, parseEnv, envDefaults, EnvConfigError, type EnvSettings } from './env.js';
export {
  fileSchema,
  validateFileConfig,
  checkFileText,
  loadFileConfig,
  type FileConfig,
  type FileCheck,
  type TenantLimits,
  type StreamRule,
} from './file.js';
export {
  resolveConfig,
  globToRegExp,
  DEFAULT_TENANT,
  type ResolvedConfig,
  type Tenant,
  type StreamPolicy,
} from './resolved.js';
