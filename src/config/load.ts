import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { errorMessage } from '../util/errors.js';

/** A configuration problem; the message names the file and the path of the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates a YAML config file (empty object when `file` is undefined). */
export function loadConfigFile(file: string | undefined): unknown {
  if (file === undefined) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config ${file}: ${errorMessage(err)}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${errorMessage(err)}`);
  }
}

/** Validates raw configuration; `origin` names where it came from in error messages. */
export function parseConfig(raw: unknown, origin: string, flagFor: Readonly<Record<string, string>> = {}): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(formatIssues(result.error.issues, origin, flagFor));
}

function formatIssues(issues: readonly z.core.$ZodIssue[], origin: string, flagFor: Readonly<Record<string, string>>): string {
  return issues
    .map((i) => {
      const field = formatPath(i.path);
      const flag = flagFor[i.path.filter((p) => typeof p === 'string').join('.')];
      return `${origin}: ${field}${flag ? ` (${flag})` : ''}: ${i.message}`;
    })
    .join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
