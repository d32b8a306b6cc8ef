import fs from 'node:fs';
import path from 'node:path';
import { createSessionInput, type CreateSessionInput } from '../api/sessions';
import type { CodepiperConfig } from '../config';
import { AppError } from '../errors';
import { claudeSettingsOverlay } from '../hooks/claude';
import type { Paths } from '../paths';
import { findExecutable, findProvider, resolveProviderBinary } from '../providers';
import { RUNTIMES, type LaunchContext } from '../providers/runtime';
import { describeIssue } from '../validation-issues';
import type { SessionRecord, SessionStore } from './store';

export interface ValidationIssue {
  path: string;
  message: string;
}

/** What runs for a session: the agent's argv and environment, and the agent's own session id when we choose it. */
export interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  agentSessionId: string | null;
}

export interface LaunchOptions {
  paths: Paths;
  /** The daemon's environment: where provider binaries are looked up, and the API key billingMode "api" may use. */
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  /** Where names are checked for clashes. */
  store: SessionStore;
  /** How agents with native hooks reach the daemon: the hook command and the variables it needs. */
  hooks?: { command: string; env: Record<string, string> } | undefined;
}

/**
 * Launch planning: whether a create request can run (shape, directory, binary, name), and what exactly runs for it:
 * argv and environment per provider, and the Claude Code settings overlay that installs CodePiper's hooks.
 */
export class LaunchPlanner {
  constructor(private readonly options: LaunchOptions) {}

  /** Every problem with a create request at once (shape, directory, binary, name), without creating anything. */
  validate(raw: unknown): { valid: boolean; issues: ValidationIssue[]; argv: string[] | null } {
    const parsed = createSessionInput.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: describeIssue(issue, raw, createSessionInput) }));
      // The semantic checks still run on whatever fields are well-formed, so the caller sees everything at once.
      const partial = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      issues.push(...this.issues(partial).filter((extra) => !issues.some((issue) => issue.path === extra.path)));
      return { valid: false, issues, argv: null };
    }
    const issues = this.issues(parsed.data);
    if (issues.length) return { valid: false, issues, argv: null };
    return { valid: true, issues: [], argv: this.plan(parsed.data, null).argv };
  }

  /** Throws every problem with a well-formed input at once (directory, binary, name, billing). */
  check(input: CreateSessionInput): void {
    const issues = this.issues(input);
    if (issues.length) throw issuesError(issues);
  }

  /**
   * The argv and environment for `input`. With an `id` the session exists: its hook overlay is written and the hook
   * variables are set; without one (a dry run) nothing is written.
   */
  plan(input: CreateSessionInput, id: string | null): LaunchPlan {
    const runtime = RUNTIMES[input.provider];
    const agentSessionId = runtime.newAgentSessionId?.() ?? null;
    const argv = runtime.launchArgv(this.context(input, agentSessionId, id));
    return { argv, env: this.environment(input, id), agentSessionId };
  }

  /** The plan that continues an ended session: the agent's own resume argv where it has one, else a fresh start. */
  resumePlan(record: SessionRecord): LaunchPlan & { continued: boolean } {
    const input = recordAsInput(record);
    this.check(input);
    const resumeArgv = RUNTIMES[record.provider].resumeArgv(this.context(record, record.agentSessionId, record.id));
    const plan = { ...this.plan(input, record.id), agentSessionId: record.agentSessionId };
    return { ...plan, argv: resumeArgv ?? plan.argv, continued: resumeArgv !== undefined };
  }

  /** Where a session's hook overlay lives, and whether it is there. */
  hookOverlay(id: string): { file: string; installed: boolean } {
    const file = overlayFile(this.options.paths, id);
    return { file, installed: fs.existsSync(file) };
  }

  private environment(input: CreateSessionInput, id: string | null): Record<string, string> {
    const env: Record<string, string> = { ...input.env };
    if (id && findProvider(input.provider)!.capabilities.nativeHooks && this.options.hooks) Object.assign(env, this.options.hooks.env);
    if (input.billingMode === 'api' && !env.ANTHROPIC_API_KEY) env.ANTHROPIC_API_KEY = this.options.env.ANTHROPIC_API_KEY!;
    if (id) env.CODEPIPER_SESSION = id;
    return env;
  }

  private context(input: Pick<SessionRecord, 'provider' | 'args' | 'dangerousMode'>, agentSessionId: string | null, id: string | null): LaunchContext {
    const provider = findProvider(input.provider)!;
    const binary = provider.binary ? resolveProviderBinary(provider, this.options.env, this.options.config)!.path : null;
    const settingsFile = id && provider.capabilities.nativeHooks && this.options.hooks ? this.writeHookOverlay(id) : undefined;
    return { binary, args: input.args, dangerousMode: input.dangerousMode, agentSessionId, settingsFile };
  }

  /** The session's Claude Code settings overlay (rewritten at each launch, so it always names this daemon's hook). */
  private writeHookOverlay(id: string): string {
    const file = overlayFile(this.options.paths, id);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(claudeSettingsOverlay(this.options.hooks!.command), null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, file);
    return file;
  }

  private issues(input: Partial<Record<keyof CreateSessionInput, unknown>>): ValidationIssue[] {
    const { env: daemonEnv, config, store } = this.options;
    const issues: ValidationIssue[] = [];
    const provider = typeof input.provider === 'string' ? findProvider(input.provider) : undefined;
    if (typeof input.cwd === 'string') {
      if (!path.isAbsolute(input.cwd)) issues.push({ path: 'cwd', message: `must be an absolute path, got "${input.cwd}"` });
      else {
        let stat: fs.Stats | undefined;
        try {
          stat = fs.statSync(input.cwd);
        } catch {
          issues.push({ path: 'cwd', message: `directory does not exist: ${input.cwd}` });
        }
        if (stat && !stat.isDirectory()) issues.push({ path: 'cwd', message: `not a directory: ${input.cwd}` });
      }
    }
    const env = input.env && typeof input.env === 'object' ? (input.env as Record<string, unknown>) : {};
    const searchPath = typeof env.PATH === 'string' ? env.PATH : daemonEnv.PATH;
    if (provider?.binary) {
      const binary = resolveProviderBinary(provider, daemonEnv, config)!;
      if (!binary.path) {
        issues.push({
          path: 'provider',
          message: `${provider.id}: "${binary.command}" was not found${binary.command.includes('/') ? '' : ' on PATH'}; install it, or set ${binary.setting}`,
        });
      }
    } else if (provider?.id === 'command') {
      const args = Array.isArray(input.args) ? input.args : [];
      if (args.length === 0) issues.push({ path: 'args', message: 'provider "command" needs the argv to run in args, e.g. ["bash"]' });
      // A relative path runs from the session's directory, so that is where it is looked for.
      else if (typeof args[0] === 'string' && !findExecutable(args[0].includes('/') && typeof input.cwd === 'string' ? path.resolve(input.cwd, args[0]) : args[0], searchPath)) {
        issues.push({ path: 'args[0]', message: `command not found: ${args[0]}` });
      }
    }
    if (input.billingMode !== undefined && provider && provider.id !== 'claude-code') {
      issues.push({ path: 'billingMode', message: `billingMode applies to claude-code only, not ${provider.id}` });
    }
    if (input.billingMode === 'subscription' && typeof env.ANTHROPIC_API_KEY === 'string') {
      issues.push({ path: 'env.ANTHROPIC_API_KEY', message: 'billingMode "subscription" bills the logged-in plan; remove ANTHROPIC_API_KEY or use billingMode "api"' });
    }
    if (input.billingMode === 'api' && typeof env.ANTHROPIC_API_KEY !== 'string' && !daemonEnv.ANTHROPIC_API_KEY) {
      issues.push({ path: 'billingMode', message: 'billingMode "api" needs ANTHROPIC_API_KEY in env (or in the daemon\'s environment)' });
    }
    const holder = typeof input.name === 'string' ? store.byName(input.name) : undefined;
    if (holder) issues.push({ path: 'name', message: `name "${input.name}" is already used by session ${holder.id}` });
    return issues;
  }
}

/** The create request a stored session came from (without its name: a session never clashes with itself). */
function recordAsInput(record: SessionRecord): CreateSessionInput {
  const fields = Object.keys(createSessionInput.shape).filter((field) => field !== 'name') as Array<keyof CreateSessionInput & keyof SessionRecord>;
  // A field the record holds as null was not given at creation.
  return Object.fromEntries(fields.map((field) => [field, record[field] ?? undefined])) as CreateSessionInput;
}

function overlayFile(paths: Paths, id: string): string {
  return path.join(paths.sessionsDir, id, 'claude-settings.json');
}

/**
 * A lone problem that is not bad input has its own code: a missing binary, or a name another session holds (a
 * conflict, 409 as for rename; the name's shape was checked by the schema before, so a name issue here is a clash).
 */
function issuesError(issues: ValidationIssue[]): AppError {
  const only = issues.length === 1 ? issues[0]!.path : undefined;
  const code = only === 'provider' ? 'PROVIDER_BINARY_MISSING' : only === 'name' ? 'SESSION_NAME_TAKEN' : 'VALIDATION_FAILED';
  return new AppError(code, issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), {
    details: { issues },
  });
}
