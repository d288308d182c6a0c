import {
  type ConfigError,
  createSandboxProxyConfig,
  type ProxyConfig,
  readProxyConfig,
  toPolicyConfig,
  watchConfig,
} from '@sbx/config';
import { compilePolicy } from '@sbx/policy';
import type { CredentialRule, ProxyPolicy } from '@sbx/proxy';

export interface PolicyState {
  policy: ProxyPolicy;
  credentials: CredentialRule[];
}

export interface PolicySource {
  readonly initial: PolicyState;
  close(): Promise<void>;
}

function compile(config: ProxyConfig): PolicyState {
  return { policy: compilePolicy(toPolicyConfig(config)), credentials: config.credentials };
}

/**
 * A sandbox's policy from its proxy-config.json (copied from the default policy when it has
 * none yet), and each later valid version of the file; an invalid edit is reported and the
 * last good version stays in force.
 */
export async function openPolicySource(
  name: string,
  onChange: (state: PolicyState) => void,
  onError: (message: string) => void,
): Promise<PolicySource> {
  const path = await createSandboxProxyConfig(name);
  const initial = compile(await readProxyConfig(path));
  const watcher = watchConfig(
    path,
    (config) => {
      try {
        onChange(compile(config));
      } catch (error) {
        onError(`policy not applied: ${(error as Error).message}`);
      }
    },
    (error: ConfigError) => onError(error.message),
  );
  await watcher.ready;
  return { initial, close: () => watcher.close() };
}
