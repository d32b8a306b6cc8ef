import { spawnSync } from 'node:child_process';
import { AppError } from '../core/errors';

/**
 * Hands this terminal to `tmux attach` on the private server until the user detaches, for `codepiper attach` and the
 * dashboard alike; returns tmux's exit status. Inside the user's own tmux, TMUX would make tmux refuse to nest: the
 * private server is a different one, so it is left out of tmux's environment.
 */
export function attachTerminal(
  tmux: { binary: string; socket: string },
  tmuxSession: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly?: boolean } = {},
): number | null {
  const childEnv = { ...env };
  delete childEnv.TMUX;
  const argv = ['-L', tmux.socket, 'attach-session', ...(options.readonly ? ['-r'] : []), '-t', `=${tmuxSession}`];
  const result = spawnSync(tmux.binary, argv, { stdio: 'inherit', env: childEnv });
  if (result.error) throw new AppError('TMUX_FAILED', `could not run ${tmux.binary}: ${result.error.message}`);
  return result.status;
}
