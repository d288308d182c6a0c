import type { CommandModule } from 'yargs';
import { versionCommand } from './version.ts';

/**
 * Every top-level command, in the order `--help` lists them. A command module declares its
 * options and imports its handler lazily, so `sbx --help` loads none of the packages.
 */
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argv types
export const commands: CommandModule<any, any>[] = [versionCommand];
