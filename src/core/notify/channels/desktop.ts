import { execFile } from 'node:child_process';
import type { NotifyChannelConfig } from '../../config';
import { findExecutable } from '../../providers';
import { report, type ChannelFactory } from './channel';

/** How the desktop is reached here, or why it is not: the desktop channel and `codepiper doctor` both ask. */
export type DesktopReach = { via: 'notify-send' | 'gdbus'; binary: string } | { via: null; reason: string };

export function desktopReach(env: NodeJS.ProcessEnv): DesktopReach {
  if (!env.DBUS_SESSION_BUS_ADDRESS) return { via: null, reason: 'no session bus (DBUS_SESSION_BUS_ADDRESS is not set)' };
  const notifySend = findExecutable('notify-send', env.PATH);
  if (notifySend) return { via: 'notify-send', binary: notifySend };
  const gdbus = findExecutable('gdbus', env.PATH);
  if (gdbus) return { via: 'gdbus', binary: gdbus };
  return { via: null, reason: 'neither notify-send nor gdbus is on PATH' };
}

const TIMEOUT_MS = 5000;

/** A desktop notification through the freedesktop service; silently unavailable where there is no session bus. */
export const desktopChannel: ChannelFactory<Extract<NotifyChannelConfig, { type: 'desktop' }>> = (_config, deps) => ({
  deliver: (event) =>
    new Promise((resolve) => {
      const reach = desktopReach(deps.env);
      if (!reach.via) return resolve(report('unavailable', 0, reach.reason));
      const urgent = event.kind === 'needs_permission' || event.kind === 'crashed';
      const body = [event.message, event.link].filter(Boolean).join('\n');
      const argv =
        reach.via === 'notify-send'
          ? ['--app-name=CodePiper', `--urgency=${urgent ? 'critical' : 'normal'}`, '--', event.title, body]
          : [
              'call', '--session', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications',
              '--method', 'org.freedesktop.Notifications.Notify', 'CodePiper', '0', '', event.title, body, '[]', '{}', '-1',
            ];
      execFile(reach.binary, argv, { env: deps.env, timeout: TIMEOUT_MS }, (error, _stdout, stderr) => {
        if (error) resolve(report('failed', 1, `${reach.via}: ${String(stderr).trim() || error.message}`, { via: reach.via }));
        else resolve(report('delivered', 1, null, { via: reach.via }));
      });
    }),
});
