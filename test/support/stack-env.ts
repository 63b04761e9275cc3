// The local stack's settings (written by scripts/stack-up.sh to .stack/env) for tests. A missing
// stack fails the suite with the command that starts it: tests never skip.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const STACK_DIR = join(REPO_ROOT, '.stack');

export interface StackEnv {
  temporalAddress: string;
  namespace: string;
  bucket: string;
  env: Record<string, string>;
}

/** Loads .stack/env into process.env (without overriding what is set) and returns the essentials. */
export function requireStackEnv(): StackEnv {
  const file = join(STACK_DIR, 'env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (!match) continue;
      const value = match[2].replace(/^(['"])(.*)\1$/, '$2');
      if (process.env[match[1]] === undefined) process.env[match[1]] = value;
    }
  }
  const { TEMPORAL_ADDRESS, PITR_BUCKET, PITR_BARMAN_HOME } = process.env;
  if (!TEMPORAL_ADDRESS || !PITR_BUCKET || !PITR_BARMAN_HOME) {
    throw new Error(`the local stack is not configured (${file} missing or incomplete): run \`npm run stack:up\` first`);
  }
  return {
    temporalAddress: TEMPORAL_ADDRESS,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    bucket: PITR_BUCKET,
    env: process.env as Record<string, string>,
  };
}
