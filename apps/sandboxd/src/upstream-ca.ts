import { readFile } from 'node:fs/promises';
import { SandboxdError } from './errors.ts';

/**
 * Extra CA certificates (PEM) the proxies trust for upstream TLS, from the file named by
 * `SBX_PROXY_UPSTREAM_CA`: for tests with a loopback HTTPS upstream (and for a network whose
 * TLS is re-signed by its own CA). Read by the daemon only, once at its start.
 */
export async function upstreamCaFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | undefined> {
  const file = env.SBX_PROXY_UPSTREAM_CA;
  if (!file) return undefined;
  try {
    return [await readFile(file, 'utf8')];
  } catch (error) {
    throw new SandboxdError(
      'SBX_SANDBOXD_INVALID',
      `cannot read SBX_PROXY_UPSTREAM_CA ${file}: ${(error as Error).message}; point it at a PEM file or unset it`,
      { cause: error },
    );
  }
}
