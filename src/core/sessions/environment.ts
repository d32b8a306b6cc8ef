/**
 * The environment an agent starts from, as a program started from the caller's shell would have it: the caller's
 * environment (the CLI and the dashboard send theirs with create), or with cleanEnv only the design's allowlist of
 * it. What describes the caller's own terminal or CodePiper's own plumbing does not cross into the session.
 *
 * Layers, each over the one before (a later layer wins a name both have):
 *   1. the caller's environment, or its clean allowlist (or, when the caller sent none, the runner's own);
 *   2. the env sets, in the order given (a workspace's first, then the session's own envSetIds);
 *   3. the session's inline `env`;
 *   4. what CodePiper itself sets: the hook variables, the API key billingMode "api" needs, CODEPIPER_SESSION.
 * A resume starts from the same layers as they were at the first start: the caller's environment, the sets' values
 * and the inline env are kept sealed with the session (sealed-env.ts), so a set changed or deleted since does not
 * change what a resumed agent sees.
 */

/** `--clean-env`: what a session keeps of its caller's environment (DESIGN.md). */
const CLEAN_NAMES = new Set(['PATH', 'HOME', 'USER', 'SHELL', 'TERM', 'LANG', 'TZ', 'TMPDIR', 'EDITOR']);
const CLEAN_PREFIXES = ['LC_', 'XDG_'];

/**
 * The caller's terminal, not the session's: the agent runs in CodePiper's private tmux, which sets TERM, TMUX and
 * TMUX_PANE for it (the caller's TMUX would send a nested tmux command to the caller's server); PWD and OLDPWD are
 * the caller's directories, not the session's; `_` is the caller's last command.
 */
const CALLER_TERMINAL = new Set(['TMUX', 'TMUX_PANE', 'TERM', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION', 'PWD', 'OLDPWD', '_']);

/**
 * CODEPIPER_* of the caller are settings of the caller's own CLI (its home, socket, tmux socket, config, binaries) or
 * marks of a session the caller itself runs in (CODEPIPER_SESSION) and a hook secret: a CLI or hook inside the new
 * session must reach the daemon that runs it, so CodePiper sets what the session needs itself.
 */
const OWN_SETTINGS_PREFIX = 'CODEPIPER_';

export function isCleanEnvName(name: string): boolean {
  return CLEAN_NAMES.has(name) || CLEAN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function crossesIntoSession(name: string): boolean {
  return !CALLER_TERMINAL.has(name) && !name.startsWith(OWN_SETTINGS_PREFIX);
}

/**
 * The environment a session starts from, or undefined for "the runner's own" (a client that sent none and did not ask
 * for a clean one: what sessions always got). `daemonEnv` stands in for a caller that sent nothing.
 */
export function baseEnvironment(callerEnv: Record<string, string> | undefined, cleanEnv: boolean, daemonEnv: NodeJS.ProcessEnv): Record<string, string> | undefined {
  if (!callerEnv && !cleanEnv) return undefined;
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(callerEnv ?? daemonEnv)) {
    if (value === undefined || !crossesIntoSession(name)) continue;
    if (cleanEnv && !isCleanEnvName(name)) continue;
    base[name] = value;
  }
  return base;
}

/** Layers 1 to 3 above: the caller's (or clean) environment, then the env sets' values, then the inline env. */
export function layerEnvironment(caller: Record<string, string>, envSets: Record<string, string>, inline: Record<string, string>): Record<string, string> {
  return { ...caller, ...envSets, ...inline };
}
