import { startDaemon } from './daemon.ts';
import { createNamespaceRuntime } from './namespace-runtime.ts';
import { upstreamCaFromEnv } from './upstream-ca.ts';

// The process name lets a later start tell a live sandboxd from a reused pid.
process.title = 'sandboxd';
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);

// One sandbox's failure must not take the others down with the daemon: log and go on.
process.on('uncaughtException', (error) => log(`uncaught: ${error.stack}`));
process.on('unhandledRejection', (error) => log(`unhandled: ${(error as Error)?.stack ?? error}`));

try {
  const daemon = await startDaemon({
    runtime: await createNamespaceRuntime({ upstreamCa: await upstreamCaFromEnv() }),
    log,
    onShutdownRequest: () => void shutdown('api'),
  });
  const shutdown = async (why: string) => {
    log(`stopping (${why})`);
    await daemon.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {});
} catch (error) {
  log(`sandboxd: ${(error as Error).message}`);
  process.exit(1);
}
