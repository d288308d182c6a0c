import { existsSync } from 'node:fs';
import {
  assertSandboxName,
  builtinProxyConfig,
  defaultProxyConfigPath,
  ensureDefaultProxyConfig,
  type ProxyConfig,
  readProxyConfig,
  sandboxDir,
  sandboxProxyConfigPath,
} from '@sbx/config';
import { CliError, EXIT } from '../errors.ts';

/** Which proxy-config.json a `network proxy` command edits, and what a reset goes back to. */
export interface Target {
  /** `sandbox "box"` or `default policy`. */
  label: string;
  name: string | null;
  path: string;
  /** The policy `--reset` restores: the default policy for a sandbox, the built-ins for it. */
  resetTo(): Promise<ProxyConfig>;
  /** A sandbox without a proxy-config.json yet starts from the default policy. */
  ifMissing(): Promise<ProxyConfig>;
}

async function defaultPolicy(): Promise<ProxyConfig> {
  return readProxyConfig(await ensureDefaultProxyConfig());
}

/** Resolves `SANDBOX` or `--default`; an unknown sandbox is an error that says where it looked. */
export async function resolveTarget(argv: { sandbox?: string; default: boolean }): Promise<Target> {
  if (argv.default && argv.sandbox !== undefined) {
    throw new CliError('give a sandbox name or --default, not both', {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  }
  if (argv.default) {
    return {
      label: 'default policy',
      name: null,
      path: await ensureDefaultProxyConfig(),
      resetTo: async () => builtinProxyConfig(),
      ifMissing: async () => builtinProxyConfig(),
    };
  }
  if (argv.sandbox === undefined) {
    throw new CliError('name a sandbox, or use --default for the policy of new sandboxes', {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  }
  assertSandboxName(argv.sandbox);
  const dir = sandboxDir(argv.sandbox);
  if (!existsSync(dir)) {
    throw new CliError(
      `no sandbox named "${argv.sandbox}" (${dir} does not exist); check the name, or use --default to edit the policy of new sandboxes (${defaultProxyConfigPath()})`,
      { code: 'SBX_UNKNOWN_SANDBOX' },
    );
  }
  return {
    label: `sandbox "${argv.sandbox}"`,
    name: argv.sandbox,
    path: sandboxProxyConfigPath(argv.sandbox),
    resetTo: defaultPolicy,
    ifMissing: defaultPolicy,
  };
}
