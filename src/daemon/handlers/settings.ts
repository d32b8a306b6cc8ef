import process from 'node:process';
import { loadConfig } from '../../core/config';
import { readSettings, updateSettings, type SettingsObject } from '../../core/config/settings';
import { AppError, isAppError } from '../../core/errors';
import type { DaemonContext } from '../context';
import { resolveWebOptions } from '../web/options';
import type { Handlers } from '../router';

/** The configuration object the services share and read: keys that apply at once are changed in it, in place. */
function running(daemon: DaemonContext): SettingsObject {
  return daemon.core.config as SettingsObject;
}

const ENDED_STATES = new Set(['stopped', 'crashed']);

/** The daemon's settings (its configuration file) and its restart. */
export const settingsHandlers = {
  'settings.get': (_input, { daemon }) => readSettings(daemon.core.paths.config, running(daemon)),

  'settings.update': (patch, { daemon }) => {
    const result = updateSettings(daemon.core.paths.config, patch, { running: running(daemon) });
    if (result.changed.length) {
      const later = result.changed.filter((key) => !result.applied.includes(key));
      daemon.log.info(`settings changed in ${result.path}: ${result.changed.join(', ')}${later.length ? ` (${later.join(', ')} after a restart)` : ''}`);
    }
    return result;
  },

  'settings.restart': (_input, { daemon }) => {
    // The new daemon reads the file as it starts: one it would refuse is refused here, while this one still runs.
    try {
      const config = loadConfig(daemon.core.paths.config);
      resolveWebOptions(config.web, daemon.webFlags);
    } catch (error) {
      if (!isAppError(error)) throw error;
      throw new AppError('CONFIG_INVALID', `not restarting: the new daemon would refuse its configuration: ${error.message}`, { details: error.details });
    }
    const { restartKeys } = readSettings(daemon.core.paths.config, running(daemon));
    const sessionsRunning = daemon.core.sessions.list().filter((session) => !ENDED_STATES.has(session.state)).length;
    const plan = daemon.requestRestart('restart route');
    const comeback = plan.how === 'service' ? 'its service manager starts it again' : 'a new daemon starts with the same arguments and environment';
    return {
      ok: true as const,
      pid: process.pid,
      command: plan.command,
      how: plan.how,
      sessionsRunning,
      restartKeys,
      log: daemon.core.paths.log,
      message: `the daemon (pid ${process.pid}) stops as it does on \`daemon stop\` and ${comeback}; ${sessionsRunning} running session${sessionsRunning === 1 ? '' : 's'} keep running in tmux and are re-adopted${restartKeys.length ? `; it applies ${restartKeys.join(', ')}` : ''}`,
    };
  },
} satisfies Pick<Handlers, 'settings.get' | 'settings.update' | 'settings.restart'>;
