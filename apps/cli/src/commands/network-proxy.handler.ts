import {
  type ProxyConfig,
  readProxyConfig,
  resetProxyConfig,
  updateProxyConfig,
} from '@sbx/config';
import { type Change, diffConfigs, formatChanges } from '../network/changes.ts';
import { applyEdits, hasEdits, parseEdits } from '../network/edits.ts';
import { effectiveRules, formatRules } from '../network/show.ts';
import { resolveTarget } from '../network/target.ts';
import type { NetworkProxyArgs } from './network-proxy.ts';

/**
 * Edits (and/or shows) one proxy-config.json: flags are validated first, then the file is
 * changed in one locked, atomic update; what changed is printed. With no change flags it shows.
 */
export async function networkProxy(argv: NetworkProxyArgs): Promise<void> {
  const edits = parseEdits(argv);
  const target = await resolveTarget(argv);
  const changing = argv.reset || hasEdits(edits);
  let before: ProxyConfig | undefined;
  let after: ProxyConfig | undefined;
  const notes: string[] = [];
  if (argv.reset) {
    ({ before, after } = await resetProxyConfig(target.path, await target.resetTo()));
  }
  if (hasEdits(edits)) {
    const update = await updateProxyConfig(
      target.path,
      (config) => {
        notes.push(...applyEdits(config, edits));
      },
      { ifMissing: target.ifMissing },
    );
    if (!argv.reset) before = update.before;
    after = update.after;
  }
  for (const note of notes) process.stderr.write(`sbx: ${note}\n`);
  const show = argv.show || !changing;
  const config = after ?? (await readOrSeed(target.path, target.ifMissing));
  const changes: Change[] = changing ? diffConfigs(before, config) : [];
  if (argv.json) {
    const out: Record<string, unknown> = { target: target.name ?? 'default', file: target.path };
    if (changing) Object.assign(out, { changed: changes.length > 0, changes });
    if (show)
      Object.assign(out, {
        mode: config.policy,
        rules: effectiveRules(config),
        credentials: config.credentials,
      });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (changing) {
    process.stdout.write(
      changes.length === 0
        ? `No change to the ${target.label} (${target.path}).\n`
        : `Updated the ${target.label} (${target.path}):\n${formatChanges(changes)}`,
    );
  }
  if (show) {
    if (changing) process.stdout.write('\n');
    process.stdout.write(`Rules of the ${target.label} in evaluation order (${target.path}):\n`);
    process.stdout.write(formatRules(config));
  }
}

/** A sandbox created before it had a proxy-config.json is shown its future policy. */
async function readOrSeed(
  path: string,
  ifMissing: () => Promise<ProxyConfig>,
): Promise<ProxyConfig> {
  try {
    return await readProxyConfig(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'SBX_CONFIG_NOT_FOUND') return ifMissing();
    throw error;
  }
}
