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
  /** The policy in force: the file as read once the watch was up, or its latest valid edit. */
  current(): PolicyState;
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
  let state: PolicyState | undefined;
  const watcher = watchConfig(
    path,
    (config) => {
      try {
        state = compile(config);
        onChange(state);
      } catch (error) {
        onError(`policy not applied: ${(error as Error).message}`);
      }
    },
    (error: ConfigError) => onError(error.message),
  );
  try {
    // The starting policy is the version the watcher read once it was watching: an edit
    // made before that is in it, and one after is a change event, so none falls in between.
    await watcher.ready;
    state ??= compile(watcher.current() ?? (await readProxyConfig(path)));
  } catch (error) {
    await watcher.close();
    throw error;
  }
  const started = state;
  return { current: () => state ?? started, close: () => watcher.close() };
}
