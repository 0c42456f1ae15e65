// The YAML configuration file: tenants (tokens, limits) and per-stream rules.
// Loaded at start and on reload; a bad file yields every problem at once.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { formatIssues } from './issues.js';

const positiveInt = z.number().int().positive();

export const tenantLimitsSchema = z
  .object({
    /** Requests per minute. */
    rateLimit: positiveInt.optional(),
    maxConcurrentUploads: positiveInt.optional(),
    /** Bytes per uploaded part. */
    maxUploadSize: positiveInt.optional(),
    /** WebSocket connections. */
    maxConnections: positiveInt.optional(),
  })
  .strict();

export const tenantSchema = z
  .object({
    tokens: z.array(z.string().min(8, 'tokens must be at least 8 characters')).min(1),
    limits: tenantLimitsSchema.default({}),
  })
  .strict();

export const streamRuleSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    ackTimeoutMs: z.number().int().min(10).optional(),
    maxDepth: positiveInt.optional(),
  })
  .strict();

export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const fileSchema = z
  .object({
    tenants: z
      .record(z.string().regex(TENANT_NAME, 'tenant names are 1-64 of A-Z a-z 0-9 _ -'), tenantSchema)
      .default({}),
    streams: z.record(z.string().min(1), streamRuleSchema).default({}),
  })
  .strict();

export type FileConfig = z.output<typeof fileSchema>;
export type TenantLimits = z.output<typeof tenantLimitsSchema>;
export type StreamRule = z.output<typeof streamRuleSchema>;

export type FileCheck = { ok: true; config: FileConfig } | { ok: false; problems: string[] };

/** Validate an already-parsed document: schema problems plus cross-checks (a token in two tenants). */
export function validateFileConfig(doc: unknown): FileCheck {
  const result = fileSchema.safeParse(doc ?? {});
  if (!result.success) return { ok: false, problems: formatIssues(result.error.issues) };
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const [tenant, spec] of Object.entries(result.data.tenants)) {
    for (const token of spec.tokens) {
      const other = owner.get(token);
      // Never echo the token itself: problems are logged and shown in /health.
      if (other !== undefined && other !== tenant) {
        problems.push(`tenants.${tenant}.tokens: a token is also listed under tenant "${other}"`);
      } else if (other === tenant) {
        problems.push(`tenants.${tenant}.tokens: a token is listed twice`);
      }
      owner.set(token, tenant);
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, config: result.data };
}

/** Parse YAML text and validate it. */
export function checkFileText(text: string): FileCheck {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message : String(err);
    return { ok: false, problems: [`YAML: ${msg.split('\n')[0]}`] };
  }
  return validateFileConfig(doc);
}

/**
 * Read and validate the file at `path`. A missing file is an empty config when
 * `optional` (the default path may be absent); otherwise it is a problem.
 */
export async function loadFileConfig(path: string, { optional = false } = {}): Promise<FileCheck> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && optional) return validateFileConfig({});
    return { ok: false, problems: [`${path}: cannot read (${code ?? String(err)})`] };
  }
  return checkFileText(text);
}
