import { spawnSync } from 'node:child_process';
import type { CodepiperConfig } from '../../config';

/** tmux 3.2 brought control-mode format subscriptions (refresh-client -B), which session events rely on. */
export const MIN_TMUX_VERSION = { major: 3, minor: 2 } as const;

export function tmuxBinary(env: NodeJS.ProcessEnv = process.env, config: CodepiperConfig = {}): string {
  return env.CODEPIPER_TMUX_BIN || config.tmux?.binary || 'tmux';
}

export interface TmuxVersion {
  raw: string;
  major: number;
  minor: number;
}

/** `tmux -V` → {major, minor}; undefined when tmux cannot be run. Builds from master count as new enough. */
export function tmuxVersion(binary: string): TmuxVersion | undefined {
  const result = spawnSync(binary, ['-V'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) return undefined;
  const raw = result.stdout.trim();
  const match = /(\d+)\.(\d+)/.exec(raw);
  if (match) return { raw, major: Number(match[1]), minor: Number(match[2]) };
  return /master|next/.test(raw) ? { raw, major: 99, minor: 0 } : undefined;
}

export function isTmuxRecentEnough(version: TmuxVersion): boolean {
  return version.major > MIN_TMUX_VERSION.major || (version.major === MIN_TMUX_VERSION.major && version.minor >= MIN_TMUX_VERSION.minor);
}
