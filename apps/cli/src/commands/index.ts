import type { CommandModule } from 'yargs';
import { createCommand } from './create.ts';
import { daemonCommand } from './daemon.ts';
import { execCommand } from './exec.ts';
import { inspectCommand } from './inspect.ts';
import { installPluginCommand, uninstallPluginCommand } from './install-plugin.ts';
import { lsCommand } from './ls.ts';
import { networkCommand } from './network.ts';
import { proxyCommand } from './proxy.ts';
import { resetCommand } from './reset.ts';
import { rmCommand } from './rm.ts';
import { runCommand } from './run.ts';
import { stopCommand } from './stop.ts';
import { templateCommand } from './template.ts';
import { versionCommand } from './version.ts';

/**
 * Every top-level command, in the order `--help` lists them. A command module declares its
 * options and imports its handler lazily, so `sbx --help` loads none of the packages.
 */
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argv types
export const commands: CommandModule<any, any>[] = [
  runCommand,
  createCommand,
  execCommand,
  lsCommand,
  inspectCommand,
  stopCommand,
  rmCommand,
  resetCommand,
  networkCommand,
  templateCommand,
  proxyCommand,
  daemonCommand,
  installPluginCommand,
  uninstallPluginCommand,
  versionCommand,
];
