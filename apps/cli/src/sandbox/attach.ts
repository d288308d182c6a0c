import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecPlan } from '@sbx/sandboxd';
import { CliError } from '../errors.ts';

/**
 * Runs a sandboxd exec plan attached to this terminal and resolves to the command's exit code
 * (128 + signal number when a signal ended it). While it runs, this process ignores the
 * terminal's SIGINT/SIGQUIT: they reach the command, which decides.
 */
export function runAttached(plan: ExecPlan, options: { stdin: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(plan.file, plan.args, {
      env: plan.env,
      stdio: [options.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    });
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGQUIT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const cleanup = () => {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
    };
    child.on('error', (error) => {
      cleanup();
      reject(new CliError(`cannot run ${plan.file}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      cleanup();
      if (signal) resolve(128 + (constants.signals[signal] ?? 1));
      else resolve(code ?? 1);
    });
  });
}
