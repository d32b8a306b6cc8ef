import fs from 'node:fs';
import { z } from 'zod';
import { NOTIFY_KINDS } from '../notify/kinds';
import { AppError } from '../errors';
import { describeIssue } from '../validation-issues';
import { lineAndColumn, pathKey, readJsonText } from './json-text';

/**
 * The user's configuration file ($CODEPIPER_HOME/config.json, or CODEPIPER_CONFIG). Optional; environment variables
 * win over it. Unknown keys are errors, not warnings: a misspelt "binry" that was only warned about in a log would
 * leave the setting silently unapplied; the error names the nearest known key instead.
 */
const providerSettings = z.strictObject({ binary: z.string().min(1).optional() });

/**
 * Marks a setting (or a whole group) that the running daemon reads each time it needs it, from the configuration
 * object it shares (core.config), so that `PUT /settings/daemon` applies a change at once. Only mark what is read at
 * use time: a key that is read once at start (and copied) needs a restart, which is what unmarked keys say.
 */
export function liveSetting<T extends z.ZodType>(schema: T): T {
  return schema.meta({ appliesAt: 'now' }) as T;
}

/** One notification channel: where events go, and which (see core/notify). */
const clockTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'a time is HH:MM, 00:00 to 23:59');
const channelCommon = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit').describe('unique among the channels'),
  enabled: z.boolean().optional().describe('default true'),
  events: z.array(z.enum(NOTIFY_KINDS)).optional().describe('which event kinds (default: all but resolved and test)'),
  sessions: z.array(z.string().min(1)).optional().describe('which sessions, by name, id or glob (* and ?); default all'),
};
export const notifyChannelSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...channelCommon, type: z.literal('desktop') }),
  z.strictObject({ ...channelCommon, type: z.literal('terminal') }),
  z.strictObject({
    ...channelCommon,
    type: z.literal('command'),
    argv: z.array(z.string().min(1)).min(1).describe('the program and its arguments (no shell); the event JSON on its stdin'),
    timeoutMs: z.number().int().min(100).max(300_000).optional().describe('default 10000'),
  }),
  z.strictObject({
    ...channelCommon,
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).describe('where the event JSON is POSTed'),
    secret: z.string().min(16).optional().describe('HMAC-SHA256 key (default: one generated and kept in notify-secrets.json)'),
    maxAttempts: z.number().int().min(1).max(10).optional().describe('default 5'),
    timeoutMs: z.number().int().min(100).max(60_000).optional().describe('per attempt; default 10000'),
  }),
]);
export type NotifyChannelConfig = z.infer<typeof notifyChannelSchema>;

export const configSchema = z.strictObject({
  // Read at each launch (LaunchPlanner) and each `providers` answer: new sessions use a changed binary at once.
  providers: liveSetting(
    z.strictObject({
      'claude-code': providerSettings.optional(),
      codex: providerSettings.optional(),
    }),
  ).optional(),
  tmux: z.strictObject({ binary: z.string().min(1).optional() }).optional(),
  transcripts: z
    .strictObject({
      claude: z.array(z.string().min(1)).optional().describe('Claude config dirs whose projects/ is indexed (default: CLAUDE_CONFIG_DIR, else ~/.claude and ~/.config/claude)'),
      codex: z.array(z.string().min(1)).optional().describe('Codex homes whose sessions/ is indexed (default: CODEX_HOME, else ~/.codex)'),
      scanOnStart: z.boolean().optional().describe('scan every transcript in the background when the daemon starts (default true)'),
    })
    .optional(),
  policies: z
    .strictObject({
      // Read at each decision (PolicyService's defaultAction callback) and each effective-policies answer.
      defaultAction: liveSetting(z.enum(['ask', 'deny'])).optional().describe('what happens when no rule matches; never allow'),
    })
    .optional(),
  worktrees: z
    .strictObject({
      root: z
        .string()
        .min(1)
        .refine((value) => value.startsWith('/'), 'must be an absolute path')
        .optional()
        .describe("where sessions' worktrees go, as <root>/<repo>/<name-or-id> (default beside the repository: <repo-parent>/<repo>.worktrees/<name-or-id>)"),
    })
    .optional(),
  // Read when the daemon starts: a change needs `codepiper daemon restart`.
  web: z
    .strictObject({
      enabled: z.boolean().optional().describe('serve the routes over HTTP and WebSocket under /api (as --web); off by default'),
      host: z.string().min(1).optional().describe('address to listen on (default 127.0.0.1); anything but loopback needs TLS or insecureHttp'),
      port: z.number().int().min(0).max(65535).optional().describe('TCP port (default 4321; 0 picks a free one)'),
      tls: z
        .strictObject({
          cert: z.string().min(1).describe('PEM certificate chain file'),
          key: z.string().min(1).describe('PEM private key file'),
        })
        .optional()
        .describe('serve HTTPS with these files (as --tls-cert/--tls-key)'),
      allowedOrigins: z.array(z.string().min(1)).optional().describe('other origins (scheme://host[:port]) whose pages may call the API, beside its own'),
      allowedHosts: z.array(z.string().min(1)).optional().describe('host names the listener answers to, beside localhost, IP addresses and the bound name'),
      trustProxy: z.boolean().optional().describe('believe X-Forwarded-For/-Proto/-Host from a reverse proxy on loopback (default false)'),
      insecureHttp: z.boolean().optional().describe('allow plain HTTP on a non-loopback address (as --insecure-http); passwords and tokens then cross the network readable'),
      rateLimit: z
        .strictObject({
          burst: z.number().int().min(1).optional().describe('requests one address may make at once (default 120)'),
          perSecond: z.number().positive().optional().describe('requests per second one address may sustain (default 20)'),
        })
        .optional(),
    })
    .optional(),
  // Read at each event (NotifyEngine): a change applies at once.
  notifications: liveSetting(
    z.strictObject({
      channels: z
        .array(notifyChannelSchema)
        .refine((channels) => new Set(channels.map((c) => c.name)).size === channels.length, 'channel names must be unique')
        .optional()
        .describe('default: a terminal channel, and a desktop channel where a desktop can be reached'),
      quietHours: z
        .strictObject({
          start: clockTime,
          end: clockTime,
          timezone: z
            .string()
            .refine((zone) => isTimeZone(zone), 'an IANA time zone such as Europe/Paris')
            .optional()
            .describe("default: the daemon's own"),
        })
        .optional()
        .describe('events in this window are not sent (the delivery log says suppressed); start > end spans midnight'),
    }),
  ).optional(),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type CodepiperConfig = z.infer<typeof configSchema>;

export function loadConfig(file: string): CodepiperConfig {
  return loadJsonFile(file, configSchema, 'config file') ?? {};
}

/** How many problems one error names at most; the rest are counted. */
const MAX_PROBLEMS_SHOWN = 10;

/** One problem of a JSON file a person wrote: where, and what is wrong. */
export interface FileProblem {
  line: number;
  column: number;
  /** The field, dotted ("providers.codex.binary"), or "" for the file's syntax or its top level. */
  path: string;
  message: string;
}

/**
 * A JSON file the user writes (configuration, prices), checked against its schema: undefined when it does not exist,
 * else its value, or CONFIG_INVALID naming the file and every problem in it at once, syntax and schema alike, each
 * with its line and column, a misspelt key with the nearest known one.
 */
export function loadJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('CONFIG_INVALID', `cannot read ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
  const { value, problems } = checkJsonText(text, schema);
  if (problems.length === 0) return value as T;
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `line ${p.line}, column ${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  const more = problems.length > MAX_PROBLEMS_SHOWN ? `; and ${problems.length - MAX_PROBLEMS_SHOWN} more` : '';
  const head = problems.length === 1 ? `${what} ${file}: ` : `${what} ${file} has ${problems.length} problems: `;
  throw new AppError('CONFIG_INVALID', head + shown.join('; ') + more, { details: { file, problems } });
}

/**
 * Every problem of `text` read as JSON and checked against `schema`, in the order they appear in the file, and the
 * parsed value when there are none. The schema is checked even after a syntax error, on what could be read around
 * it, so that a typo in a key is not hidden behind a missing comma.
 */
export function checkJsonText<T>(text: string, schema: z.ZodType<T>): { value: T | undefined; problems: FileProblem[] } {
  const read = readJsonText(text);
  const at = (offset: number) => lineAndColumn(text, offset);
  const problems: Array<FileProblem & { offset: number }> = read.problems.map((p) => ({ ...at(p.offset), offset: p.offset, path: '', message: p.message }));
  if (read.value === undefined && problems.length) return { value: undefined, problems: problems.map(withoutOffset) };
  const parsed = schema.safeParse(read.value);
  if (parsed.success && problems.length === 0) return { value: parsed.data, problems: [] };
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const path = issue.path.map(String);
    // What could not be read was already reported; the schema missing it says nothing new.
    if (read.broken.some((b) => b.length <= path.length && b.every((key, k) => key === path[k]))) continue;
    const offsets = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => read.positions.get(pathKey([...path, key]))) : [];
    const offset = offsets.find((o) => o !== undefined) ?? nearestPosition(read.positions, path);
    problems.push({ ...at(offset), offset, path: path.join('.'), message: describeIssue(issue, read.value, schema) });
  }
  problems.sort((a, b) => a.offset - b.offset);
  return { value: undefined, problems: problems.map(withoutOffset) };
}

/** Where `path` starts in the file, or the nearest of its parents that was seen (the top of the file at worst). */
function nearestPosition(positions: Map<string, number>, path: readonly string[]): number {
  for (let n = path.length; n >= 0; n--) {
    const offset = positions.get(pathKey(path.slice(0, n)));
    if (offset !== undefined) return offset;
  }
  return 0;
}

function withoutOffset({ offset: _offset, ...problem }: FileProblem & { offset: number }): FileProblem {
  return problem;
}
