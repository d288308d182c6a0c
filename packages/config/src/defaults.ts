import type { ProxyConfig } from './types.ts';

/**
 * The built-in default policy, written to `~/.sandboxd/proxy-config.json` the first time it is
 * needed: allow by default (the private ranges stay blocked by @sbx/policy's defaults), and
 * credential rules for the agents' API hosts, naming the variables that hold the keys.
 */
export function builtinProxyConfig(): ProxyConfig {
  return {
    version: 1,
    policy: 'allow',
    allowHosts: [],
    blockHosts: [],
    allowCidrs: [],
    blockCidrs: [],
    bypassHosts: [],
    bypassCidrs: [],
    credentials: [
      {
        host: 'api.anthropic.com',
        header: 'x-api-key',
        format: '{value}',
        env: 'ANTHROPIC_API_KEY',
      },
      {
        host: 'api.openai.com',
        header: 'authorization',
        format: 'Bearer {value}',
        env: 'OPENAI_API_KEY',
      },
      {
        host: 'generativelanguage.googleapis.com',
        header: 'x-goog-api-key',
        format: '{value}',
        env: 'GEMINI_API_KEY',
      },
    ],
  };
}
