import { createInterface } from 'node:readline/promises';
import type { SandboxView } from '@sbx/sandboxd/client';
import { CliError } from '../errors.ts';
import { withDaemon } from '../sandbox/daemon-client.ts';
import { age, formatTable, truncateStart } from '../sandbox/table.ts';
import type { LsArgs } from './ls.ts';

const write = (text: string): void => {
  process.stdout.write(text);
};

/** What scripts get from `--json`: the metadata, without daemon internals. */
function publicView({ credentialEnv: _c, ...view }: SandboxView) {
  return view;
}

export async function list(argv: LsArgs): Promise<void> {
  const sandboxes = await withDaemon((client) => client.list());
  if (argv.json) return write(`${JSON.stringify(sandboxes.map(publicView), null, 2)}\n`);
  if (argv.quiet) return write(sandboxes.map((s) => `${s.name}\n`).join(''));
  const cut = (text: string, max: number) => (argv.trunc ? truncateStart(text, max) : text);
  const rows = sandboxes.map((s) => [
    s.name,
    s.agent,
    s.status,
    cut(s.template.ref, 40),
    cut(s.workspaces.map((w) => w.path + (w.readOnly ? ':ro' : '')).join(','), 48),
    age(s.created),
  ]);
  write(formatTable(['NAME', 'AGENT', 'STATUS', 'TEMPLATE', 'WORKSPACE', 'CREATED'], rows));
}

export async function inspect(argv: { sandbox: string; json: boolean }): Promise<void> {
  const s = await withDaemon((client) => client.inspect(argv.sandbox));
  if (argv.json) return write(`${JSON.stringify(publicView(s), null, 2)}\n`);
  const rows = [
    ['Name', s.name],
    ['Agent', s.agent],
    ['Status', s.status],
    ['Template', s.template.ref + (s.template.local ? ' (local Docker Engine)' : '')],
    ['Digest', s.template.digest ?? '-'],
    ...s.workspaces.map((w, i) => [
      i === 0 ? 'Workspace' : 'Extra workspace',
      w.path + (w.readOnly ? ' (read-only)' : ''),
    ]),
    ['Created', s.created],
    ['Directory', s.dir],
  ];
  write(rows.map(([k, v]) => `${`${k}:`.padEnd(17)}${v}\n`).join(''));
}

export async function stop(argv: { sandboxes: string[] }): Promise<void> {
  await forEach(argv.sandboxes, async (client, name) => {
    await client.stop(name);
  });
}

export async function remove(argv: { sandboxes: string[] }): Promise<void> {
  await forEach(argv.sandboxes, (client, name) => client.remove(name));
}

/** Acts on each name in turn, printing each done; one failure does not skip the rest. */
async function forEach(
  names: string[],
  fn: (client: Parameters<Parameters<typeof withDaemon>[0]>[0], name: string) => Promise<void>,
): Promise<void> {
  const failures: string[] = [];
  await withDaemon(async (client) => {
    for (const name of names) {
      try {
        await fn(client, name);
        write(`${name}\n`);
      } catch (error) {
        if (!(error as { code?: string }).code?.startsWith('SBX_')) throw error;
        failures.push((error as Error).message);
      }
    }
  });
  if (failures.length === 1) throw new CliError(failures[0]!);
  if (failures.length > 1) throw new CliError(failures.join('\n'));
}

export async function reset(argv: { force: boolean }): Promise<void> {
  if (!argv.force) {
    if (!process.stdin.isTTY) {
      throw new CliError(
        "reset removes every sandbox and needs confirmation: run 'sbx reset -f' to reset without asking",
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(
      'This stops and removes every sandbox (workspace files stay). Continue? [y/N] ',
    );
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write('reset cancelled\n');
      return;
    }
  }
  const { removed } = await withDaemon((client) => client.reset());
  write(removed.length === 0 ? 'no sandboxes to remove\n' : `removed ${removed.join(', ')}\n`);
}
