import { withDaemon } from '../sandbox/daemon-client.ts';
import { startSandbox } from '../sandbox/start.ts';
import { parseWorkspace } from '../sandbox/workspaces.ts';
import type { CreateArgs } from './create.ts';

export async function create(argv: CreateArgs): Promise<void> {
  await withDaemon(async (client) => {
    const { sandbox } = await client.create({
      agent: argv.agent,
      workspaces: [argv.workspace, ...(argv.extra ?? [])].map((w) => parseWorkspace(w)),
      name: argv.name,
      template: argv.template,
      loadLocalTemplate: argv.loadLocalTemplate || undefined,
    });
    try {
      await startSandbox(client, sandbox);
    } catch (error) {
      await client.remove(sandbox.name).catch(() => {});
      throw error;
    }
    process.stdout.write(
      argv.quiet ? `${sandbox.name}\n` : `created and started sandbox ${sandbox.name}\n`,
    );
  });
}
