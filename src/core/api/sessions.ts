import { z } from 'zod';
import { ANSWER_VIA } from '../policies/outcome';
import { PROVIDER_IDS } from '../providers';
import { SESSION_STATES, STATE_SOURCES } from '../sessions/state';
import { queryFlag } from './fields';
import { defineRoute } from './route';
import { sessionWorktreeSchema, worktreeRequestFields } from './worktrees';

/** Largest text one `send` carries; bigger pastes are a client's job to split. */
export const MAX_SEND_BYTES = 64 * 1024;

const idParam = z.strictObject({ id: z.string().min(1) });

/** Session names: something a user can type after `codepiper attach`, and that cannot look like a flag. */
const sessionName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name is letters, digits and "_", not starting with a digit');

/** Text that reaches execve: no NUL byte (it would end the string), and within Linux's limit for one argument. */
export const execString = z
  .string()
  .max(100_000, 'must be at most 100000 characters')
  .refine((value) => !value.includes('\0'), 'must not contain a NUL byte');

/**
 * A name as a caller's environment may hold it: anything execve passes on (exported shell functions are named
 * `BASH_FUNC_x%%`), so a caller never has to prune its own environment before it may start a session.
 */
const callerEnvName = z.string().min(1).max(1000).regex(/^[^=\0]+$/, 'an environment variable name has no "=" and no NUL byte');

export const createSessionInput = z.strictObject({
  provider: z
    .enum(PROVIDER_IDS)
    .optional()
    .describe('the agent; when left out: the one provider whose binary is configured, else claude-code when its binary is found'),
  cwd: execString.min(1).optional().describe('absolute path of an existing directory; may be left out with a workspace (then its directory)'),
  args: z.array(execString).max(256).default([]),
  env: z.record(envName, execString).default({}).describe('variables for the agent, over the caller environment'),
  callerEnv: z
    .record(callerEnvName, execString)
    .optional()
    .describe(
      "the caller's own environment (the CLI and the dashboard send theirs): the agent starts from it as from a shell. Kept " +
        'encrypted, never shown. Left out, the agent gets the environment of the daemon\'s tmux server (an allowlist of the daemon\'s)',
    ),
  cleanEnv: z.boolean().default(false).describe('start from an allowlist of the caller environment only: PATH, HOME, USER, SHELL, TERM, LANG, LC_*, TZ, TMPDIR, EDITOR, XDG_*'),
  name: sessionName.optional(),
  dangerousMode: z.boolean().default(false),
  billingMode: z.enum(['subscription', 'api']).optional(),
  cols: z.number().int().min(20).max(1000).default(120),
  rows: z.number().int().min(5).max(500).default(40),
  ...worktreeRequestFields,
  envSetIds: z.array(z.string().min(1)).max(64).optional().describe('env sets (ids or names) layered over the caller environment in this order, under env; their values at start are kept (sealed) for resume'),
  workspace: z.string().min(1).optional().describe('a workspace (id or name) whose defaults fill what is left out: cwd, provider, args (when empty), worktree; its env sets come before envSetIds, its policy sets are applied'),
});
export type CreateSessionInput = z.output<typeof createSessionInput>;

export const sessionSchema = z.strictObject({
  id: z.string(),
  name: z.string().nullable(),
  provider: z.enum(PROVIDER_IDS),
  cwd: z.string(),
  args: z.array(z.string()),
  envKeys: z.array(z.string()).describe('names of the variables the session was given; values are not echoed back'),
  envFrom: z.enum(['caller', 'daemon']).describe("whose environment the agent started from: its caller's (sent with create) or the daemon's"),
  cleanEnv: z.boolean().describe('whether only the allowlist of that environment was kept'),
  envSetIds: z.array(z.string()).describe('the env sets applied at start, in order; a resume uses the values they had then'),
  workspaceId: z.string().nullable().describe('the workspace whose defaults the session started with'),
  dangerousMode: z.boolean(),
  billingMode: z.enum(['subscription', 'api']).nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  tmuxSession: z.string(),
  agentSessionId: z.string().nullable(),
  transcriptPath: z.string().nullable().describe("the agent's transcript file, once its SessionStart hook has told"),
  state: z.enum(SESSION_STATES),
  stateSource: z.enum(STATE_SOURCES),
  stateSince: z.string(),
  exitCode: z.number().int().nullable(),
  exitSignal: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  worktree: sessionWorktreeSchema.nullable().describe('the git worktree the session runs in, when created with worktree: true'),
});
export type Session = z.output<typeof sessionSchema>;

const issue = z.strictObject({ path: z.string(), message: z.string() });

export const sessionEventSchema = z.strictObject({
  id: z.number().int(),
  sessionId: z.string(),
  at: z.string(),
  source: z.string(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});


export const sessionRoutes = [
  defineRoute({
    name: 'sessions.list',
    method: 'GET',
    path: '/sessions',
    summary: 'Sessions, oldest first; filter by provider and state.',
    access: 'read',
    input: z.strictObject({ provider: z.enum(PROVIDER_IDS).optional(), status: z.enum(SESSION_STATES).optional() }),
    output: z.strictObject({ sessions: z.array(sessionSchema) }),
  }),
  defineRoute({
    name: 'sessions.create',
    method: 'POST',
    path: '/sessions',
    summary:
      'Starts an agent (or, for provider "command", the argv in args) in the private tmux server, with callerEnv as its ' +
      "environment (never shown; without it, the daemon's allowlisted environment), then env.",
    // admin: with provider "command" it runs any argv, with any environment, as the daemon's user.
    access: 'admin',
    input: createSessionInput,
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.validate',
    method: 'POST',
    path: '/sessions/validate',
    summary: 'Dry run of create: every problem with the input at once, and the argv that would run; nothing is created.',
    // admin, though it creates nothing: a dry run of create probes the daemon's machine (whether a path exists and
    // is a directory, whether a program is on its PATH, whether its environment has an API key), which is for
    // whoever may create sessions.
    access: 'admin',
    input: z.record(z.string(), z.unknown()),
    output: z.strictObject({
      valid: z.boolean(),
      issues: z.array(issue),
      argv: z.array(z.string()).nullable(),
      warnings: z.array(issue).optional().describe('with worktree: true, what is fine but worth knowing (uncommitted changes the worktree will not have)'),
    }),
  }),
  defineRoute({
    name: 'sessions.get',
    method: 'GET',
    path: '/sessions/:id',
    summary: 'One session by id, unique id prefix, or name.',
    access: 'read',
    input: idParam,
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.stop',
    method: 'POST',
    path: '/sessions/:id/stop',
    summary: "Graceful stop: the agent's own way to quit, then a kill after the deadline (default 10 s).",
    access: 'write',
    input: idParam.extend({ timeoutMs: z.number().int().min(0).max(120_000).default(10_000) }),
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.kill',
    method: 'POST',
    path: '/sessions/:id/kill',
    summary: 'Immediate stop: the tmux window and its processes are killed.',
    access: 'write',
    input: idParam,
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.resume',
    method: 'POST',
    path: '/sessions/:id/resume',
    summary: "Restarts an ended session under the same id, continuing the agent's own conversation where it can.",
    // write, not admin: it runs again the argv an admin chose at create; nothing in the input can change it.
    access: 'write',
    input: idParam,
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.send',
    method: 'POST',
    path: '/sessions/:id/send',
    summary: `Types literal text into the session, then Enter unless newline is false (at most ${MAX_SEND_BYTES} bytes).`,
    // write: drives a session an admin started. In a shell session typed text is commands, so give write only to
    // callers trusted with what is running.
    access: 'write',
    input: idParam.extend({
      // tmux ends a string at a NUL: what follows would be dropped without a word.
      text: z.string().refine((text) => !text.includes('\0'), 'contains a NUL character (\\0), which a terminal cannot be sent'),
      newline: z.boolean().default(true),
    }),
    output: z.strictObject({ ok: z.literal(true), bytes: z.number().int() }),
  }),
  defineRoute({
    name: 'sessions.keys',
    method: 'POST',
    path: '/sessions/:id/keys',
    summary: 'Presses named keys in order: enter, esc, tab, shift+tab, up, ctrl+c, f1, … or single characters.',
    // write: as sessions.send.
    access: 'write',
    input: idParam.extend({ keys: z.array(z.string().min(1)).min(1).max(256) }),
    output: z.strictObject({ ok: z.literal(true), keys: z.number().int() }),
  }),
  defineRoute({
    name: 'sessions.permission',
    method: 'POST',
    path: '/sessions/:id/permission',
    summary:
      "Answers the agent's pending permission question: approve (yes, this once) or deny; the audit log records the answer and via. 409 unless it is waiting for one.",
    // write, not admin: answers one pending question once and changes no rule (policies, which answer in advance, are admin).
    access: 'write',
    input: idParam.extend({
      answer: z.enum(['approve', 'deny']),
      via: z.enum(ANSWER_VIA).default('api').describe('who answers, for the audit log: the CLI and the TUI say so; other callers are api'),
    }),
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.output',
    method: 'GET',
    path: '/sessions/:id/output',
    summary: 'The screen as it is now (ansi=1 keeps colours; lines=N adds scrollback); seq is where a live follow resumes.',
    access: 'read',
    input: idParam.extend({ ansi: queryFlag.default(false), lines: z.coerce.number().int().min(0).max(50_000).optional() }),
    output: z.strictObject({ text: z.string(), seq: z.number().int(), source: z.enum(['screen', 'log']) }),
  }),
  defineRoute({
    name: 'sessions.resize',
    method: 'POST',
    path: '/sessions/:id/resize',
    summary: "Sets the session's window size.",
    access: 'write',
    input: idParam.extend({ cols: z.number().int().min(20).max(1000), rows: z.number().int().min(5).max(500) }),
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.rename',
    method: 'PUT',
    path: '/sessions/:id/name',
    summary: 'Names a session (null clears the name); names are unique.',
    access: 'write',
    input: idParam.extend({ name: sessionName.nullable() }),
    output: sessionSchema,
  }),
  defineRoute({
    name: 'sessions.events',
    method: 'GET',
    path: '/sessions/:id/events',
    summary: 'The session event log (state changes, input, lifecycle), oldest first; filter by source.',
    access: 'read',
    input: idParam.extend({
      source: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    output: z.strictObject({ events: z.array(sessionEventSchema), total: z.number().int() }),
  }),
] as const;
