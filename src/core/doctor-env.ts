import fs from 'node:fs';
import type { CodepiperConfig } from './config';
import { PROVIDERS, resolveProviderBinary } from './providers';

/**
 * The daemon's own variables that decide what it does for a client that sends no environment (and where it looks for
 * transcripts): doctor compares them with the shell's. None is a secret; `daemon.info` (local only) reports them.
 */
export const COMPARED_ENV = ['PATH', 'HOME', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', ...PROVIDERS.flatMap((provider) => (provider.binary ? [provider.binary.envVar] : []))];

/** Variables whose difference matters on its own (PATH and the binary settings matter through the binaries they find). */
const AGENT_HOMES: Record<string, string> = {
  HOME: 'home directory',
  CLAUDE_CONFIG_DIR: "Claude Code's config and transcripts",
  CODEX_HOME: "Codex's config and transcripts",
};

/**
 * What the running daemon sees that this shell does not: provider binaries its environment resolves elsewhere (or
 * not at all), and agent homes it has set differently. One sentence per difference; none when they agree.
 */
export function daemonEnvironmentDifferences(shell: NodeJS.ProcessEnv, daemon: Record<string, string | null>, config: CodepiperConfig): string[] {
  const daemonEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(daemon).filter((entry): entry is [string, string] => entry[1] !== null));
  const differences: string[] = [];
  for (const provider of PROVIDERS) {
    const here = resolveProviderBinary(provider, shell, config);
    const there = resolveProviderBinary(provider, daemonEnv, config);
    // The same file under two names (/bin and /usr/bin on a merged-/usr system) is no difference.
    if (!here || !there || sameFile(here.path, there.path)) continue;
    const seen = (found: string | null, command: string) => found ?? `no ${command}`;
    differences.push(`${provider.id}: the daemon finds ${seen(there.path, there.command)}, this shell ${seen(here.path, here.command)}`);
  }
  for (const [name, what] of Object.entries(AGENT_HOMES)) {
    const here = shell[name] ?? null;
    const there = daemon[name] ?? null;
    if (here !== there) differences.push(`${name} (${what}): the daemon has ${there ?? 'it unset'}, this shell ${here ?? 'has it unset'}`);
  }
  return differences;
}

function sameFile(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}
