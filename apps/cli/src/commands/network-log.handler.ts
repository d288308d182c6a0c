import type { NetworkEvent } from '@sbx/sandboxd';
import { CliError, EXIT } from '../errors.ts';
import { withDaemon } from '../sandbox/daemon-client.ts';
import type { NetworkLogArgs } from './network-log.ts';

/**
 * One event as `TIME sandbox=NAME request METHOD URL allowed|denied|bypassed status=CODE
 * rule=RULE DURATIONms`: the rule that decided (`(default)` for the policy's default), the
 * status sent back (`-` when none was, as for a tunnel cut short).
 */
export function formatNetworkEvent(event: NetworkEvent): string {
  const { ts, sandbox, type, method, url, action, status, rule, durationMs } = event;
  return `${ts} sandbox=${sandbox ?? '-'} ${type} ${method} ${url} ${action} status=${status || '-'} rule=${rule ?? '(default)'} ${Math.round(durationMs)}ms`;
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
