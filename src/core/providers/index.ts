import fs from 'node:fs';
import path from 'node:path';
import type { CodepiperConfig } from '../config';

/** Every provider CodePiper knows, by id: the one list (the contract, the CLI and the dashboard read it). */
export const PROVIDER_IDS = ['claude-code', 'codex', 'command'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export interface ProviderCapabilities {
  nativeHooks: boolean;
  policyChannel: 'native-hooks' | 'input-preflight' | 'none';
  metricsChannel: 'transcript' | 'none';
  supportsResume: boolean;
  supportsModelSwitch: boolean;
}

export interface Provider {
  id: ProviderId;
  displayName: string;
  description: string;
  capabilities: ProviderCapabilities;
  /** How the agent's binary is found; null for `command`, which runs the argv it is given. */
  binary: { defaultCommand: string; envVar: string } | null;
}

export const PROVIDERS: readonly Provider[] = [
  {
    id: 'claude-code',
    displayName: 'Claude Code',
    description: "Anthropic's coding agent; permission hooks answered by CodePiper's policies",
    capabilities: {
      nativeHooks: true,
      policyChannel: 'native-hooks',
      metricsChannel: 'transcript',
      supportsResume: true,
      supportsModelSwitch: true,
    },
    binary: { defaultCommand: 'claude', envVar: 'CODEPIPER_CLAUDE_BIN' },
  },
  {
    id: 'codex',
    displayName: 'Codex CLI',
    description: "OpenAI's coding agent; input checked by policies before it is sent",
    capabilities: {
      nativeHooks: false,
      policyChannel: 'input-preflight',
      metricsChannel: 'transcript',
      supportsResume: true,
      // Its own /model command, typed like Claude Code's.
      supportsModelSwitch: true,
    },
    binary: { defaultCommand: 'codex', envVar: 'CODEPIPER_CODEX_BIN' },
  },
  {
    id: 'command',
    displayName: 'Command',
    description: 'Any argv (gemini, aider, a shell); state from the screen, input checked by policies',
    capabilities: {
      nativeHooks: false,
      policyChannel: 'input-preflight',
      metricsChannel: 'none',
      supportsResume: false,
      supportsModelSwitch: false,
    },
    binary: null,
  },
];

/** The agent a session runs when its create request names none and no single provider is configured, if it is found. */
export const DEFAULT_PROVIDER: ProviderId = 'claude-code';

export function findProvider(id: string): Provider | undefined {
  return PROVIDERS.find((provider) => provider.id === id);
}

export interface ResolvedBinary {
  command: string;
  source: 'default' | 'env' | 'config';
  /** The environment variable or config key a user sets to change it. */
  setting: string;
  /** Absolute path of the executable, or null when it is not found. */
  path: string | null;
}

/** Where a provider's binary comes from: env var, then config file, then its usual name on PATH. */
export function resolveProviderBinary(
  provider: Provider,
  env: NodeJS.ProcessEnv = process.env,
  config: CodepiperConfig = {},
): ResolvedBinary | null {
  if (!provider.binary) return null;
  const configKey = `providers.${provider.id}.binary`;
  const fromEnv = env[provider.binary.envVar];
  const fromConfig = config.providers?.[provider.id as 'claude-code' | 'codex']?.binary;
  const [command, source] = fromEnv
    ? [fromEnv, 'env' as const]
    : fromConfig
      ? [fromConfig, 'config' as const]
      : [provider.binary.defaultCommand, 'default' as const];
  const setting = `${provider.binary.envVar} or ${configKey} in config.json`;
  return { command, source, setting, path: findExecutable(command, env.PATH) };
}

/** Like `command -v`: an absolute or relative path is checked as is, a bare name is looked up on PATH. */
export function findExecutable(command: string, searchPath: string | undefined = process.env.PATH): string | null {
  if (command.includes('/')) {
    const full = path.resolve(command);
    return isExecutableFile(full) ? full : null;
  }
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
