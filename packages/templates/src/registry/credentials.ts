import { readFileSync } from 'node:fs';
import { TemplateError } from '../errors.ts';
import { dockerConfigFile } from '../store/paths.ts';

export interface Credentials {
  username: string;
  password: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
}

/**
 * Reads `docker login` credentials for `registry` from `$DOCKER_CONFIG/config.json` `auths`.
 * Credential helpers (`credsStore`, `credHelpers`) are not run; their entries are skipped.
 */
export function credentialsFor(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Credentials | undefined {
  let doc: { auths?: Record<string, AuthEntry> };
  try {
    doc = JSON.parse(readFileSync(dockerConfigFile(env), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TemplateError(
      'SBX_TEMPLATES_AUTH',
      `cannot read ${dockerConfigFile(env)}: it is not valid JSON`,
    );
  }
  const auths = doc.auths ?? {};
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
      : [registry];
  for (const [key, entry] of Object.entries(auths)) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!keys.includes(key) && !keys.includes(host)) continue;
    if (entry.username && entry.password)
      return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

export function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
