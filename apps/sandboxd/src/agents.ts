import { SandboxdError } from './errors.ts';

/** A credential the proxy injects for an agent: the secret is read from `env` (or an alias). */
export interface AgentCredential {
  host: string;
  header: string;
  format: string;
  env: string;
  /** Other variables that hold the same secret when `env` is unset. */
  aliases?: string[];
}

export interface Agent {
  name: string;
  /** The program started by `sbx run`; `null` for `shell`, which runs the user's shell. */
  binary: string;
  args: string[];
  /** Image used when no `--template` is given; `host` is the built-in host template. */
  defaultTemplate: string;
  credentials: AgentCredential[];
}

/** Placeholder every credential variable holds inside a sandbox; the proxy swaps in the value. */
export const PLACEHOLDER = 'proxy-managed';

const TABLE: Agent[] = [
  {
    name: 'claude',
    binary: 'claude',
    args: ['--dangerously-skip-permissions'],
    defaultTemplate: 'docker/sandbox-templates:claude-code',
    credentials: [
      {
        host: 'api.anthropic.com',
        header: 'x-api-key',
        format: '{value}',
        env: 'ANTHROPIC_API_KEY',
      },
    ],
  },
  {
    name: 'codex',
    binary: 'codex',
    args: [],
    defaultTemplate: 'docker/sandbox-templates:codex',
    credentials: [
      {
        host: 'api.openai.com',
        header: 'Authorization',
        format: 'Bearer {value}',
        env: 'OPENAI_API_KEY',
      },
    ],
  },
  {
    name: 'gemini',
    binary: 'gemini',
    args: [],
    defaultTemplate: 'docker/sandbox-templates:gemini',
    credentials: [
      {
        host: 'generativelanguage.googleapis.com',
        header: 'x-goog-api-key',
        format: '{value}',
        env: 'GEMINI_API_KEY',
        aliases: ['GOOGLE_API_KEY'],
      },
    ],
  },
  {
    name: 'cagent',
    binary: 'cagent',
    args: [],
    defaultTemplate: 'docker/sandbox-templates:cagent',
    credentials: [],
  },
  {
    name: 'kiro',
    binary: 'kiro-cli',
    args: [],
    defaultTemplate: 'docker/sandbox-templates:kiro',
    credentials: [],
  },
  { name: 'shell', binary: 'bash', args: [], defaultTemplate: 'host', credentials: [] },
];

const BY_NAME = new Map(TABLE.map((agent) => [agent.name, agent]));

/** Every agent sbx knows, in the order help lists them. */
export const AGENT_NAMES: readonly string[] = TABLE.map((agent) => agent.name);

export function isAgent(name: string): boolean {
  return BY_NAME.has(name);
}

/** The agent of that name, or an error listing the known ones. */
export function getAgent(name: string): Agent {
  const agent = BY_NAME.get(name);
  if (!agent) {
    throw new SandboxdError(
      'SBX_SANDBOXD_UNKNOWN_AGENT',
      `unknown agent "${name}": use one of ${AGENT_NAMES.join(', ')}`,
    );
  }
  return agent;
}

/** Environment variables the agent sees inside: every credential variable holds the placeholder. */
export function placeholderEnv(credentials: readonly AgentCredential[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const credential of credentials) {
    for (const name of [credential.env, ...(credential.aliases ?? [])]) env[name] = PLACEHOLDER;
  }
  return env;
}
