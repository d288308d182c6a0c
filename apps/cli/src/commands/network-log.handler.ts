import type { NetworkEvent } from '@sbx/sandboxd';
import { CliError, EXIT } from '../errors.ts';
import { withDaemon } from '../sandbox/daemon-client.ts';
import type { NetworkLogArgs } from './network-log.ts';

/** One event as `TIME sandbox=NAME request METHOD URL allowed|denied`. */
export function formatNetworkEvent(event: NetworkEvent): string {
  return `${event.ts} sandbox=${event.sandbox ?? '-'} ${event.type} ${event.method} ${event.url} ${event.action}`;
}

export async function networkLog(argv: NetworkLogArgs): Promise<void> {
  if (!Number.isInteger(argv.limit) || argv.limit < 0) {
    throw new CliError(`invalid --limit ${argv.limit}: use a whole number`, {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  }
  const print = (event: NetworkEvent) =>
    process.stdout.write(`${argv.json ? JSON.stringify(event) : formatNetworkEvent(event)}\n`);
  await withDaemon(async (client) => {
    const options = { sandbox: argv.sandbox, limit: argv.limit };
    if (!argv.follow) {
      for (const event of await client.networkLog(options)) print(event);
      return;
    }
    await client.ping(); // starts sandboxd when needed, before the long request
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const event of client.followNetworkLog({ ...options, signal: abort.signal })) {
        print(event);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
