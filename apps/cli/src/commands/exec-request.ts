import type { ExecRequest } from '@sbx/sandboxd/exec';
import { parseEnvFlags } from '../sandbox/env.ts';
import type { ParsedExec } from './exec-args.ts';

/** The request a parsed `sbx exec` sends (its `-e`/`--env-file` variables read now). */
export function execRequest({ options, cmd }: ParsedExec): ExecRequest {
  const env = parseEnvFlags(options.env, options.envFile);
  return { cmd, env, user: options.user, workdir: options.workdir, tty: options.tty };
}
