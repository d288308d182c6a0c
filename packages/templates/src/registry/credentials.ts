import { spawnSync } from 'node:child_process';
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

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
];
const HELPER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

/**
 * `docker login` credentials for `registry`, as Docker finds them in `$DOCKER_CONFIG/config.json`:
 * `credHelpers[registry]`, then `credsStore` (both run `docker-credential-<name> get`), then `auths`.
 */
export function credentialsFor(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Credentials | undefined {
  let doc: DockerConfig;
  try {
    doc = JSON.parse(readFileSync(dockerConfigFile(env), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TemplateError(
      'SBX_TEMPLATES_AUTH',
      `cannot read ${dockerConfigFile(env)}: it is not valid JSON`,
    );
  }
  const keys = registry === 'docker.io' ? HUB_KEYS : [registry];
  const server = registry === 'docker.io' ? HUB_KEYS[0]! : registry;
  const helper = keys.map((k) => doc.credHelpers?.[k]).find(Boolean) ?? doc.credsStore;
  if (helper) {
    const fromHelper = runHelper(helper, server, env);
    if (fromHelper) return fromHelper;
  }
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
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

/** Runs a Docker credential helper; a helper that knows nothing of `server` yields undefined. */
function runHelper(name: string, server: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  if (!HELPER_NAME.test(name)) {
    throw new TemplateError(
      'SBX_TEMPLATES_AUTH',
      `config.json names the credential helper "${name}", which is not a valid name`,
    );
  }
  const run = spawnSync(`docker-credential-${name}`, ['get'], {
    input: server,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.error || run.status !== 0) return undefined;
  try {
    const out = JSON.parse(run.stdout) as { Username?: string; Secret?: string };
    // `<token>` marks an identity token for an OAuth flow this client does not speak.
    if (!out.Username || !out.Secret || out.Username === '<token>') return undefined;
    return { username: out.Username, password: out.Secret };
  } catch {
    return undefined;
  }
}

export function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
