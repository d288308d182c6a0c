import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { fileError } from './file-errors.ts';
import { analyseProxyConfig } from './parse.ts';
import type { ProxyConfig } from './types.ts';

const RECHECK_MS = 150;

/** A running watch; `ready` settles once the first version is known, `close` stops it. */
export interface ConfigWatcher {
  readonly ready: Promise<void>;
  /** The last valid version seen (the one in force), if any. */
  current(): ProxyConfig | undefined;
  close(): Promise<void>;
}

/**
 * Watches a proxy config and calls `onChange` once for each new valid version. An invalid
 * version goes to `onError` and the last good one stays in force. Atomic replacements (rename
 * over the file) are seen, because the directory is watched rather than the inode.
 */
export function watchConfig(
  path: string,
  onChange: (config: ProxyConfig) => void,
  onError: (error: ConfigError) => void,
): ConfigWatcher {
  const file = resolve(path);
  let last: string | undefined;
  let current: ProxyConfig | undefined;
  let closed = false;
  let pending: Promise<void> = Promise.resolve();

  const load = async (initial: boolean): Promise<void> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (closed) return;
      const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
      onError(
        new ConfigError(
          gone ? 'SBX_CONFIG_NOT_FOUND' : 'SBX_CONFIG_IO',
          `${file} ${gone ? 'was removed' : `cannot be read: ${(error as Error).message}`}; the last valid version stays in force`,
          { file, cause: error },
        ),
      );
      return;
    }
    if (closed || text === last) return;
    const analysis = analyseProxyConfig(text);
    if (!analysis.ok) {
      last = text;
      onError(fileError(file, text, analysis));
      return;
    }
    const changed =
      current === undefined || JSON.stringify(current) !== JSON.stringify(analysis.value);
    last = text;
    current = analysis.value;
    if (changed && !initial) onChange(analysis.value);
  };
  // Events are handled one at a time, so versions are delivered in order and each only once.
  const queue = (initial: boolean) => {
    pending = pending.then(() => load(initial));
  };

  // chokidar drops change events that follow another within ~50 ms (and any with an unchanged
  // mtime), so each event also schedules a later re-read: a quick second write is never lost.
  let recheck: NodeJS.Timeout | undefined;
  const onEvent = () => {
    queue(false);
    clearTimeout(recheck);
    recheck = setTimeout(() => queue(false), RECHECK_MS);
    recheck.unref();
  };
  // chokidar is loaded here rather than at the top, so programs that only read and write
  // configs (the CLI) start faster.
  const watcher = import('chokidar').then(async ({ watch }) => {
    const w = watch(dirname(file), {
      depth: 0,
      ignoreInitial: true,
      ignored: (p: string) => p !== dirname(file) && basename(p) !== basename(file),
    });
    w.on('add', onEvent);
    w.on('change', onEvent);
    w.on('unlink', onEvent);
    w.on('error', (error) =>
      onError(
        new ConfigError('SBX_CONFIG_IO', `watching ${file} failed: ${String(error)}`, {
          file,
          cause: error,
        }),
      ),
    );
    await new Promise<void>((done) => w.once('ready', () => done()));
    return w;
  });
  const ready = watcher.then(() => {
    queue(true);
    return pending;
  });

  return {
    ready,
    current: () => current,
    async close() {
      closed = true;
      clearTimeout(recheck);
      await (await watcher).close();
      await pending;
    },
  };
}
