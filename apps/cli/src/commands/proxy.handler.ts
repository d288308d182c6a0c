import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ProxyConfig, readProxyConfig, toPolicyConfig, watchConfig } from '@sbx/config';
import { compilePolicy } from '@sbx/policy';
import {
  certificateAuthorityPaths,
  createProxy,
  loadOrCreateCertificateAuthority,
} from '@sbx/proxy';
import { CliError, EXIT } from '../errors.ts';
import type { ProxyArgs } from './proxy.ts';

/** `host:port` or `[v6]:port`. */
function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new CliError(
      `invalid --listen ${JSON.stringify(text)}: write host:port, e.g. 127.0.0.1:3128`,
      {
        code: 'SBX_USAGE',
        exitCode: EXIT.usage,
      },
    );
  }
  return { host: m[1] ?? m[2]!, port };
}

const policyOf = (config: ProxyConfig) => compilePolicy(toPolicyConfig(config));

/**
 * Runs the proxy until SIGINT or SIGTERM. Prints one JSON line when ready; the log goes to
 * `--log` (or stderr) as JSON lines; config changes apply at once; secrets come from the
 * environment.
 */
export async function runProxy(argv: ProxyArgs): Promise<void> {
  const { host, port } = parseListen(argv.listen);
  const configPath = resolve(argv.config);
  const config = await readProxyConfig(configPath);
  const caDir = resolve(argv['ca-dir'] ?? dirname(configPath));
  const sandbox = argv.sandbox ?? null;
  const ca = await loadOrCreateCertificateAuthority(caDir, sandbox);
  const log = argv.log ? createWriteStream(argv.log, { flags: 'a', mode: 0o600 }) : process.stderr;
  const proxy = createProxy({
    policy: policyOf(config),
    ca,
    credentials: { rules: config.credentials },
    sandbox,
    onEvent: (event) => log.write(`${JSON.stringify(event)}\n`),
  });
  const apply = (next: ProxyConfig) => {
    proxy.setPolicy(policyOf(next));
    proxy.setCredentials({ rules: next.credentials });
  };
  const watcher = watchConfig(configPath, apply, (error) =>
    process.stderr.write(`sbx proxy: ${error.message}\n`),
  );
  try {
    await watcher.ready;
    // A version written between the first read and the watch start is applied here.
    const current = watcher.current();
    if (current) apply(current);
    const address = (await proxy.listen(port, host)) as { host: string; port: number };
    const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
    process.stdout.write(
      `${JSON.stringify({ listen: `${shown}:${address.port}`, ca: certificateAuthorityPaths(caDir).cert })}\n`,
    );
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
  } finally {
    await watcher.close();
    await proxy.close();
    if (log !== process.stderr) await new Promise<void>((done) => log.end(() => done()));
  }
}
