import { connectDaemon, type SandboxdClient } from '@sbx/sandboxd/client';

/** Runs `fn` with a client of sandboxd (started on demand) and closes the client after. */
export async function withDaemon<T>(fn: (client: SandboxdClient) => Promise<T>): Promise<T> {
  const client = await connectDaemon();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
