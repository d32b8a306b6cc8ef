import { z } from 'zod';
import { defineRoute } from './route';

const problem = z.strictObject({
  line: z.number().int(),
  column: z.number().int(),
  path: z.string().describe('the field, dotted, or "" for the syntax or the top level'),
  message: z.string(),
});

const settingKey = z.strictObject({
  key: z.string().describe('dotted; "*" stands for any name under a map'),
  kind: z.enum(['object', 'value']),
  appliesAt: z.enum(['now', 'restart']).describe('now: the running daemon applies a change at once; restart: at its next start'),
  description: z.string().optional(),
});

/** The configuration file as the daemon sees it. */
export const settingsStateSchema = z.strictObject({
  path: z.string().describe('where the file lives (CODEPIPER_CONFIG, else $CODEPIPER_HOME/config.json)'),
  exists: z.boolean(),
  settings: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the file\'s settings ({} when it does not exist); null when it is not a plain JSON object'),
  problems: z.array(problem).describe('every problem of the file (syntax and schema); empty when it is fine'),
  restartRequired: z.boolean().describe('some value in the file is not what the running daemon applies; a restart applies it'),
  restartKeys: z.array(z.string()).describe('those keys, dotted'),
  keys: z.array(settingKey).describe('every key the configuration schema knows, and when a change to it applies'),
});

const settingsUpdateSchema = settingsStateSchema.extend({
  changed: z.array(z.string()).describe('the keys whose value the change added, changed or removed'),
  applied: z.array(z.string()).describe('those of them the running daemon applied at once'),
});

export const settingsRoutes = [
  defineRoute({
    name: 'settings.get',
    method: 'GET',
    path: '/settings/daemon',
    summary: "The daemon's configuration file: where it is, its settings, its problems, and what waits for a restart.",
    access: 'read',
    input: z.strictObject({}),
    output: settingsStateSchema,
  }),
  defineRoute({
    name: 'settings.update',
    method: 'PUT',
    path: '/settings/daemon',
    summary:
      'Changes the configuration file with a JSON merge patch (null removes a key), checked against the configuration schema and written atomically; says what applied at once and what needs a restart.',
    // admin: the configuration names the programs the daemon runs as agents (provider binaries, tmux).
    access: 'admin',
    input: z.record(z.string(), z.unknown()).describe('a JSON merge patch of the configuration: {"policies": {"defaultAction": "deny"}}'),
    output: settingsUpdateSchema,
  }),
  defineRoute({
    name: 'settings.restart',
    method: 'POST',
    path: '/settings/daemon/restart',
    summary:
      'Restarts the daemon after answering: it shuts down as on `daemon stop` (agents keep running in tmux) and starts again with the same arguments and environment, re-adopting every session.',
    // admin, not local: the daemon comes back, and applying settings is what admin is for.
    access: 'admin',
    input: z.strictObject({}),
    output: z.strictObject({
      ok: z.literal(true),
      pid: z.number().int().describe('the pid of the daemon that answers, which is about to exit'),
      command: z.array(z.string()).describe('what starts the new daemon: this Node and its arguments'),
      how: z.enum(['re-exec', 'service']).describe('re-exec: this daemon starts the new one as it exits; service: it exits and its service manager starts it again'),
      sessionsRunning: z.number().int().nonnegative().describe('sessions alive in tmux that the new daemon re-adopts'),
      restartKeys: z.array(z.string()).describe('settings in the file the new daemon applies'),
      log: z.string().describe("the new daemon's log file"),
      message: z.string(),
    }),
  }),
] as const;
