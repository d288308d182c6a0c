import type { SandboxRecord } from './record.ts';

/**
 * The CA bundle (image bundle + sandbox CA) that the CA variables name: on the fresh /run of
 * each start, read-only, so it exists whatever the image lets its root change.
 */
export const CA_BUNDLE = '/run/sbx/ca-bundle.pem';
export const PROXY_URL = 'http://host.docker.internal:3128';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunningFeatures {
  proxy: boolean;
  ca: boolean;
}

/** The environment every process in the sandbox starts with (nothing from the host leaks in). */
export function sandboxEnv(
  record: SandboxRecord,
  user: { name: string; home: string },
  features: RunningFeatures,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    ...(record.template.type === 'image' ? record.template.env : {}),
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    HOSTNAME: record.name,
  };
  if (features.proxy) {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
      env[name] = PROXY_URL;
    env.NO_PROXY = 'localhost,127.0.0.1,::1';
    env.no_proxy = env.NO_PROXY;
  }
  if (features.ca) {
    for (const name of [
      'SSL_CERT_FILE',
      'NODE_EXTRA_CA_CERTS',
      'REQUESTS_CA_BUNDLE',
      'CURL_CA_BUNDLE',
      'GIT_SSL_CAINFO',
    ]) {
      env[name] = CA_BUNDLE;
    }
  }
  return { ...env, ...record.env };
}

/** /etc/hosts of a sandbox: loopback names, its own name, and the proxy's name. */
export function hostsFile(name: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `127.0.1.1\t${name}`,
    '127.0.0.1\thost.docker.internal',
    '',
  ].join('\n');
}
