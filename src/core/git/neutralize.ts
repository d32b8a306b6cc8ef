import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Commands a repository's own config can make git run while it only looks: core.fsmonitor (on every status), and the
 * clean/smudge/process commands of filter drivers (while hashing files for status, diff, add). An agent can write the
 * repository's config, so a read route, or a turn snapshot nobody asked for, would run the agent's command in the
 * daemon, outside whatever sandbox the agent has. They are switched off through git's environment overrides
 * (GIT_CONFIG_COUNT, as `-c` would) for every command CodePiper runs: fsmonitor always, and the filter drivers that
 * the repository's own config files define. Drivers from the user's global or system config (git-lfs and the like)
 * are the user's and keep working. Diff drivers are switched off per command (--no-textconv, --no-ext-diff).
 */

/** How many overrides at most (a config defining more drivers than this is not a repository anyone works in). */
const MAX_OVERRIDES = 64;

export const OVERRIDE_ENV_NAMES: string[] = [
  'GIT_CONFIG_COUNT',
  ...Array.from({ length: MAX_OVERRIDES }, (_, n) => [`GIT_CONFIG_KEY_${n}`, `GIT_CONFIG_VALUE_${n}`]).flat(),
];

interface Cached {
  stamp: string;
  drivers: string[];
}
const driversByFile = new Map<string, Cached>();

/** The environment variables that neutralise the repository's own commands, for git run at `dir`. */
export function neutralizingEnv(dir: string): Record<string, string> {
  const pairs: Array<[string, string]> = [['core.fsmonitor', 'false']];
  for (const driver of repositoryFilterDrivers(dir)) {
    for (const key of ['clean', 'smudge', 'process']) pairs.push([`filter.${driver}.${key}`, '']);
    pairs.push([`filter.${driver}.required`, 'false']);
    if (pairs.length >= MAX_OVERRIDES) break;
  }
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(Math.min(pairs.length, MAX_OVERRIDES)) };
  pairs.slice(0, MAX_OVERRIDES).forEach(([key, value], n) => {
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
  });
  return env;
}

/** Filter driver names defined in the config files of the repository `dir` is the top of (its common and worktree config). */
function repositoryFilterDrivers(dir: string): string[] {
  const files = repositoryConfigFiles(dir);
  return [...new Set(files.flatMap(driversIn))];
}

/** `<common git dir>/config` and, for a linked worktree, its own config.worktree; none when `dir` is not a top. */
function repositoryConfigFiles(dir: string): string[] {
  const dotGit = path.join(dir, '.git');
  let gitDir: string;
  try {
    const stat = fs.statSync(dotGit);
    if (stat.isDirectory()) gitDir = dotGit;
    else {
      const line = fs.readFileSync(dotGit, 'utf8').match(/^gitdir: (.+)$/m)?.[1]?.trim();
      if (!line) return [];
      gitDir = path.resolve(dir, line);
    }
  } catch {
    return [];
  }
  let common = gitDir;
  try {
    common = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    // A main working tree: its git dir is the common one.
  }
  return [path.join(common, 'config'), path.join(common, 'config.worktree'), path.join(gitDir, 'config.worktree')].filter(
    (file, index, all) => all.indexOf(file) === index && fs.existsSync(file),
  );
}

/** The driver names a config file (with what it includes) defines; read again only when the file changed. */
function driversIn(file: string): string[] {
  let stamp: string;
  try {
    const stat = fs.statSync(file);
    stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return [];
  }
  const cached = driversByFile.get(file);
  if (cached?.stamp === stamp) return cached.drivers;
  let drivers: string[] = [];
  try {
    // Reading config runs nothing; --includes follows include.path as git itself would.
    const out = execFileSync('git', ['config', '--file', file, '--includes', '--name-only', '--get-regexp', '^filter\\.'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    drivers = [...new Set(out.split('\n').map((name) => name.match(/^filter\.(.+)\.[^.]+$/)?.[1]).filter((name): name is string => Boolean(name)))];
  } catch {
    // Exit 1: no filter section at all.
  }
  driversByFile.set(file, { stamp, drivers });
  return drivers;
}

/** The config keys an environment from neutralizingEnv sets (simple-git wants each named before it lets git see it). */
export function overriddenKeys(env: Record<string, string>): string[] {
  return Object.entries(env).filter(([name]) => name.startsWith('GIT_CONFIG_KEY_')).map(([, key]) => key);
}
