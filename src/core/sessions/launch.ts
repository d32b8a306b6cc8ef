import fs from 'node:fs';
import path from 'node:path';
import { createSessionInput, type CreateSessionInput } from '../api/sessions';
import type { CodepiperConfig } from '../config';
import { AppError, isAppError } from '../errors';
import { claudeSettingsOverlay } from '../hooks/claude';
import type { Paths } from '../paths';
import { DEFAULT_PROVIDER, findExecutable, findProvider, PROVIDER_IDS, PROVIDERS, resolveProviderBinary, type ProviderId } from '../providers';
import { RUNTIMES, type LaunchContext } from '../providers/runtime';
import { seal, unseal, type SealKey } from '../seal';
import type { Secrets } from '../secrets';
import type { EnvSetService } from '../env-sets/service';
import type { WorkspaceService } from '../workspaces/service';
import { baseEnvironment, layerEnvironment } from './environment';
import { SEALED_PARTS } from './sealed-env';
import { describeIssue } from '../validation-issues';
import { requestIssues } from '../git/validate';
import type { SealedEnvironment, SessionRecord, SessionStore } from './store';

export interface ValidationIssue {
  path: string;
  message: string;
}

/** What runs for a session: the agent's argv and environment, and the agent's own session id when we choose it. */
export interface LaunchPlan {
  argv: string[];
  /** The agent's environment: all of it when `exactEnv`, else what is set over the runner's own. */
  env: Record<string, string>;
  exactEnv: boolean;
  agentSessionId: string | null;
}

/**
 * A create request ready to plan: its workspace's defaults filled in, its provider chosen (given, or the default),
 * its env sets resolved to their ids and their layered values.
 */
export type LaunchInput = CreateSessionInput & {
  provider: ProviderId;
  cwd: string;
  envSetIds: string[];
  envSetEnv: Record<string, string>;
  workspaceId: string | null;
};

/** A request between its workspace and its provider: what check fills in before the provider is chosen. */
type PreparedInput = CreateSessionInput & { envSetIds: string[]; envSetEnv: Record<string, string>; workspaceId: string | null };

/** The sealed parts of a new session's environment, for its row. */
export type SealedLaunch = Pick<SealedEnvironment, 'callerEnv' | 'envSets' | 'env'>;

type PartialInput = Partial<Record<keyof CreateSessionInput, unknown>>;

export interface LaunchOptions {
  paths: Paths;
  /**
   * The daemon's environment: what sessions whose caller sent none start from (through the runner), where their
   * provider binaries are looked up, and the API key billingMode "api" may use.
   */
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  /** Where names are checked for clashes. */
  store: SessionStore;
  /** How agents with native hooks reach the daemon: the hook command and the variables it needs. */
  hooks?: { command: string; env: Record<string, string> } | undefined;
  /** The key callers' environments are sealed with (or why there is none). */
  secrets: Pick<Secrets, 'envKey' | 'envKeyProblem'>;
  /** Where envSetIds are looked up and opened; without it a request naming env sets is refused. */
  envSets?: Pick<EnvSetService, 'find' | 'resolve'> | undefined;
  /** Where a request's workspace is looked up; without it a request naming one is refused. */
  workspaces?: Pick<WorkspaceService, 'applyTo'> | undefined;
}

/**
 * Launch planning: whether a create request can run (shape, directory, binary, name), and what exactly runs for it:
 * argv and environment per provider, and the Claude Code settings overlay that installs CodePiper's hooks.
 */
export class LaunchPlanner {
  constructor(private readonly options: LaunchOptions) {}

  /** Every problem with a create request at once (shape, directory, binary, name), without creating anything. */
  validate(raw: unknown): { valid: boolean; issues: ValidationIssue[]; argv: string[] | null } {
    // The workspace fills in what the request leaves out before anything is checked, as create does.
    const { request, workspaceIssue, workspaceSets } = this.withRawWorkspace(raw);
    const parsed = createSessionInput.safeParse(request);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: describeIssue(issue, request, createSessionInput) }));
      if (workspaceIssue) issues.unshift(workspaceIssue);
      // The semantic checks still run on whatever fields are well-formed, so the caller sees everything at once.
      const partial = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
      issues.push(...[...this.envSetIssues(partial.envSetIds, workspaceSets), ...this.issues(partial)].filter((extra) => !issues.some((issue) => issue.path === extra.path)));
      return { valid: false, issues, argv: null };
    }
    let prepared: PreparedInput | undefined;
    const unknownSets = this.envSetIssues(parsed.data.envSetIds, workspaceSets);
    const issues: ValidationIssue[] = [...(workspaceIssue ? [workspaceIssue] : []), ...unknownSets];
    try {
      // What can still fail here is opening the sets (no usable key).
      if (!workspaceIssue && !unknownSets.length) prepared = this.prepare(parsed.data, undefined, false);
    } catch (error) {
      issues.push({ path: 'envSetIds', message: isAppError(error) ? error.message : String(error) });
    }
    const planned = prepared ?? { ...parsed.data, envSetIds: parsed.data.envSetIds ?? [], envSetEnv: {}, workspaceId: null };
    const chosen = this.chooseProvider(planned);
    issues.push(...('issue' in chosen ? [chosen.issue, ...this.issues(planned)] : this.issues(chosen.input)));
    if (issues.length || 'issue' in chosen || !prepared) return { valid: false, issues, argv: null };
    return { valid: true, issues: [], argv: this.plan(chosen.input, null).argv };
  }

  /**
   * The input with its workspace applied, its env sets resolved and its provider chosen, or every problem with a
   * well-formed input at once (directory, binary, name, billing). An unknown workspace or env set is refused by
   * itself first (WORKSPACE_NOT_FOUND, ENV_SET_NOT_FOUND, naming it). `resumed`: the env-set values a session
   * started with, used instead of the sets' current ones.
   */
  check(input: CreateSessionInput, resumed?: { envSetEnv: Record<string, string> }): LaunchInput {
    const prepared = this.prepare(input, resumed, true);
    const chosen = this.chooseProvider(prepared);
    if ('issue' in chosen) throw issuesError([chosen.issue, ...this.issues(prepared)], 'VALIDATION_FAILED');
    const issues = this.issues(chosen.input);
    if (issues.length) throw issuesError(issues);
    return chosen.input;
  }

  /** The workspace's defaults filled in (create) and the env sets resolved, or their values at start (resume). */
  private prepare(input: CreateSessionInput, resumed: { envSetEnv: Record<string, string> } | undefined, applyWorkspace: boolean): PreparedInput {
    let request = input;
    let workspaceId: string | null = null;
    if (applyWorkspace && input.workspace !== undefined) {
      if (!this.options.workspaces) throw new AppError('WORKSPACE_NOT_FOUND', `no workspace "${input.workspace}": this daemon keeps none`);
      const applied = this.options.workspaces.applyTo(input, input.workspace);
      request = applied.request;
      workspaceId = applied.workspace.id;
    }
    if (resumed) return { ...request, envSetIds: request.envSetIds ?? [], envSetEnv: resumed.envSetEnv, workspaceId };
    const sets = this.resolveEnvSets(request.envSetIds ?? []);
    return { ...request, envSetIds: sets.ids, envSetEnv: sets.env, workspaceId };
  }

  /** The sets' ids (each once, where it last appears: a later set wins) and their values layered in that order. */
  private resolveEnvSets(refs: readonly string[]): { ids: string[]; env: Record<string, string> } {
    if (refs.length === 0) return { ids: [], env: {} };
    if (!this.options.envSets) throw new AppError('ENV_SET_NOT_FOUND', `no env set "${refs[0]}": this daemon keeps none`);
    const resolved = this.options.envSets.resolve(refs);
    const ids = resolved.ids.filter((id, index) => resolved.ids.lastIndexOf(id) === index);
    return { ids, env: resolved.env };
  }

  /**
   * A dry run names each unknown env set (create refuses the first one by itself, resume uses what it kept), at its
   * place in the request: the first `workspaceSets` of the list are the workspace's, put before the request's own.
   */
  private envSetIssues(refs: unknown, workspaceSets = 0): ValidationIssue[] {
    if (!Array.isArray(refs)) return [];
    return refs.flatMap((ref, index) =>
      typeof ref === 'string' && !this.options.envSets?.find(ref)
        ? [{ path: index < workspaceSets ? 'workspace' : `envSetIds.${index - workspaceSets}`, message: `no env set "${ref}" (see codepiper env-set list)` }]
        : [],
    );
  }

  /** A raw request (a dry run's) with its workspace's defaults, or the reason the workspace cannot give them. */
  private withRawWorkspace(raw: unknown): { request: unknown; workspaceIssue?: ValidationIssue; workspaceSets?: number } {
    const ref = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>).workspace : undefined;
    if (typeof ref !== 'string' || ref === '') return { request: raw };
    try {
      if (!this.options.workspaces) throw new AppError('WORKSPACE_NOT_FOUND', `no workspace "${ref}": this daemon keeps none`);
      const applied = this.options.workspaces.applyTo(raw as Record<string, unknown>, ref);
      return { request: applied.request, workspaceSets: applied.workspace.envSets.length };
    } catch (error) {
      return { request: raw, workspaceIssue: { path: 'workspace', message: isAppError(error) ? error.message.replace(/^workspace: /, '') : String(error) } };
    }
  }

  /**
   * The provider of a request that names none: the one provider whose binary is configured (by the caller's or the
   * daemon's environment variable, or config.json), else the default when its binary is found where the session
   * will look for it.
   */
  private chooseProvider(input: PreparedInput): { input: LaunchInput } | { issue: ValidationIssue } {
    if (input.provider) return { input: input as LaunchInput };
    const env = this.lookupEnv(input);
    const configured = PROVIDERS.filter((provider) => provider.binary && resolveProviderBinary(provider, env, this.options.config)!.source !== 'default');
    if (configured.length === 1) return { input: { ...input, provider: configured[0]!.id } as LaunchInput };
    const fallback = resolveProviderBinary(findProvider(DEFAULT_PROVIDER)!, env, this.options.config)!;
    if (fallback.path) return { input: { ...input, provider: DEFAULT_PROVIDER } as LaunchInput };
    const why = configured.length ? `${configured.map((provider) => provider.id).join(' and ')} are configured` : 'no provider binary is configured';
    return {
      issue: {
        path: 'provider',
        message:
          `none given, and there is no default: ${why}, and ${DEFAULT_PROVIDER}'s "${fallback.command}" was not found on the session's PATH; ` +
          `choose one of ${PROVIDER_IDS.join(', ')} (codepiper start -p <provider>), or set ${fallback.setting}`,
      },
    };
  }

  /**
   * What the session's row keeps of its environment, sealed: the caller's environment, the env sets' values as they
   * are now (a resume sees these, not what the sets hold later), the inline env; null for a part it has none of.
   */
  sealEnvironment(input: LaunchInput, id: string): SealedLaunch {
    const sealPart = (value: Record<string, string>, context: string) => seal(this.envKey(), JSON.stringify(value), context);
    return {
      callerEnv: input.callerEnv ? sealPart(input.callerEnv, SEALED_PARTS.callerEnv(id)) : null,
      envSets: input.envSetIds.length ? sealPart(input.envSetEnv, SEALED_PARTS.envSets(id)) : null,
      env: Object.keys(input.env).length ? sealPart(input.env, SEALED_PARTS.env(id)) : null,
    };
  }

  /**
   * The argv and environment for `input`. With an `id` the session exists: its hook overlay is written and the hook
   * variables are set; without one (a dry run) nothing is written.
   */
  plan(input: LaunchInput, id: string | null): LaunchPlan {
    const runtime = RUNTIMES[input.provider];
    const agentSessionId = runtime.newAgentSessionId?.() ?? null;
    const argv = runtime.launchArgv(this.context(input, agentSessionId, id));
    return { argv, ...this.environment(input, id), agentSessionId };
  }

  /**
   * The plan that continues an ended session: the agent's own resume argv where it has one, else a fresh start; in the
   * environment it started with (its caller's, its env sets' values then, its inline env: all decrypted from its
   * row), so the agent sees what it saw then, whatever became of the sets since.
   */
  resumePlan(record: SessionRecord, sealed: SealedEnvironment): LaunchPlan & { continued: boolean } {
    const callerEnv = sealed.callerEnv === null ? undefined : this.openSealed(record.id, sealed.callerEnv, 'callerEnv', "its caller's environment");
    const envSetEnv = sealed.envSets === null ? {} : this.openSealed(record.id, sealed.envSets, 'envSets', 'the values of its env sets');
    const env = sealed.env !== null ? this.openSealed(record.id, sealed.env, 'env', 'its env') : (sealed.plainEnv ?? {});
    const input = this.check({ ...recordAsInput(record), env, ...(callerEnv ? { callerEnv } : {}) }, { envSetEnv });
    const resumeArgv = RUNTIMES[record.provider].resumeArgv(this.context(input, record.agentSessionId, record.id));
    const plan = { ...this.plan(input, record.id), agentSessionId: record.agentSessionId };
    return { ...plan, argv: resumeArgv ?? plan.argv, continued: resumeArgv !== undefined };
  }

  private openSealed(id: string, sealed: string, part: keyof typeof SEALED_PARTS, what: string): Record<string, string> {
    try {
      return JSON.parse(unseal(this.envKey(), sealed, SEALED_PARTS[part](id))) as Record<string, string>;
    } catch (error) {
      const why = isAppError(error) ? error.message : 'it is not readable';
      throw new AppError(
        isAppError(error) ? error.code : 'SEALED_VALUE_UNREADABLE',
        `session ${id} cannot be resumed: it started with ${what}, and ${why}; start a new session instead`,
      );
    }
  }

  private envKey(): SealKey {
    const { envKey, envKeyProblem } = this.options.secrets;
    if (!envKey) throw new AppError('CONFIG_INVALID', `the session's environment cannot be kept encrypted: ${envKeyProblem ?? 'there is no env key'}`);
    return envKey;
  }

  /** Where a session's hook overlay lives, and whether it is there. */
  hookOverlay(id: string): { file: string; installed: boolean } {
    const file = overlayFile(this.options.paths, id);
    return { file, installed: fs.existsSync(file) };
  }

  /**
   * The agent's environment, in the layers environment.ts describes: the caller's (or, without one, the runner's own),
   * the env sets in order, the session's env, then what CodePiper sets: the hook variables, the API key billingMode
   * "api" needs, the session's id.
   */
  private environment(input: LaunchInput, id: string | null): { env: Record<string, string>; exactEnv: boolean } {
    const base = baseEnvironment(input.callerEnv, input.cleanEnv, this.options.env);
    const caller: Record<string, string> = { ...base };
    // A subscription session bills the logged-in plan: a key the caller happens to export must not switch it to the API.
    if (input.billingMode === 'subscription') delete caller.ANTHROPIC_API_KEY;
    // What a program started from the caller's shell would have as PWD: the directory it starts in.
    if (base) caller.PWD = input.cwd;
    const env = layerEnvironment(caller, input.envSetEnv, input.env);
    // A CodePiper CLI or hook inside the session reaches the daemon that runs it (the caller's own settings were dropped).
    const nativeHooks = findProvider(input.provider)!.capabilities.nativeHooks;
    if (id && this.options.hooks && (nativeHooks || base)) Object.assign(env, this.options.hooks.env);
    if (input.billingMode === 'api' && !env.ANTHROPIC_API_KEY) env.ANTHROPIC_API_KEY = this.options.env.ANTHROPIC_API_KEY!;
    if (id) env.CODEPIPER_SESSION = id;
    return { env, exactEnv: base !== undefined };
  }

  /**
   * What provider binaries are looked up with: the PATH the session will have, and a binary setting
   * (CODEPIPER_CLAUDE_BIN, ...) of the caller's before the daemon's.
   */
  private lookupEnv(input: PartialInput): NodeJS.ProcessEnv {
    const daemonEnv = this.options.env;
    const callerEnv = stringRecord(input.callerEnv);
    const base = baseEnvironment(callerEnv, input.cleanEnv === true, daemonEnv);
    const settings: Record<string, string> = {};
    for (const provider of PROVIDERS) {
      const value = provider.binary && callerEnv?.[provider.binary.envVar];
      if (value) settings[provider.binary!.envVar] = value;
    }
    const setPath = stringRecord((input as { envSetEnv?: unknown }).envSetEnv)?.PATH;
    return { ...daemonEnv, ...settings, PATH: stringRecord(input.env)?.PATH ?? setPath ?? base?.PATH ?? daemonEnv.PATH };
  }

  private context(input: LaunchInput, agentSessionId: string | null, id: string | null): LaunchContext {
    const provider = findProvider(input.provider)!;
    const binary = provider.binary ? resolveProviderBinary(provider, this.lookupEnv(input), this.options.config)!.path : null;
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

  private issues(input: Partial<Record<keyof CreateSessionInput | 'envSetEnv', unknown>>): ValidationIssue[] {
    const { env: daemonEnv, config, store } = this.options;
    const lookupEnv = this.lookupEnv(input);
    const issues: ValidationIssue[] = [];
    const provider = typeof input.provider === 'string' ? findProvider(input.provider) : undefined;
    if (input.cwd === undefined) issues.push({ path: 'cwd', message: 'required: the absolute path of the directory to start in (or a workspace, whose directory is used)' });
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
    const searchPath = lookupEnv.PATH;
    if (provider?.binary) {
      const binary = resolveProviderBinary(provider, lookupEnv, config)!;
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
    const setKey = stringRecord(input.envSetEnv)?.ANTHROPIC_API_KEY;
    if (input.billingMode === 'subscription' && typeof setKey === 'string') {
      issues.push({ path: 'envSetIds', message: 'billingMode "subscription" bills the logged-in plan, and an env set gives ANTHROPIC_API_KEY; leave that set out or use billingMode "api"' });
    }
    const callerKey = stringRecord(input.callerEnv)?.ANTHROPIC_API_KEY;
    if (input.billingMode === 'api' && typeof env.ANTHROPIC_API_KEY !== 'string' && !setKey && !callerKey && !daemonEnv.ANTHROPIC_API_KEY) {
      issues.push({ path: 'billingMode', message: 'billingMode "api" needs ANTHROPIC_API_KEY in env (or in the caller\'s or the daemon\'s environment)' });
    }
    // Worktree fields that go together or exclude each other (what git says of them is checked by the session engine).
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    for (const issue of requestIssues({ cwd: '', worktree: input.worktree === true, createBranch: text(input.createBranch), baseRef: text(input.baseRef), branch: text(input.branch) })) {
      issues.push({ path: issue.path, message: `${issue.message}; fix: ${issue.fix}` });
    }
    const holder = typeof input.name === 'string' ? store.byName(input.name) : undefined;
    if (holder) issues.push({ path: 'name', message: `name "${input.name}" is already used by session ${holder.id}` });
    return issues;
  }
}

/**
 * The create request a stored session came from (without its name: a session never clashes with itself; without its
 * workspace: what it gave is in the record already; without its env, which is sealed apart).
 */
function recordAsInput(record: SessionRecord): CreateSessionInput {
  // Nor its worktree request: the record's cwd is already inside the worktree it made.
  const fields = Object.keys(createSessionInput.shape).filter((field) => !['name', 'worktree', 'createBranch', 'baseRef', 'branch'].includes(field)) as Array<keyof CreateSessionInput & keyof SessionRecord>;
  // A field the record holds as null was not given at creation.
  return Object.fromEntries(fields.map((field) => [field, record[field] ?? undefined])) as unknown as CreateSessionInput;
}

/** The string-valued entries of a field that should be a record of strings (it may be anything before parsing). */
function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function overlayFile(paths: Paths, id: string): string {
  return path.join(paths.sessionsDir, id, 'claude-settings.json');
}

/**
 * A lone problem that is not bad input has its own code: a missing binary, or a name another session holds (a
 * conflict, 409 as for rename; the name's shape was checked by the schema before, so a name issue here is a clash).
 * A provider that could not be chosen is bad input (`forced`), though its issue is on the provider too.
 */
function issuesError(issues: ValidationIssue[], forced?: 'VALIDATION_FAILED'): AppError {
  const only = issues.length === 1 ? issues[0]!.path : undefined;
  const code = forced ?? (only === 'provider' ? 'PROVIDER_BINARY_MISSING' : only === 'name' ? 'SESSION_NAME_TAKEN' : 'VALIDATION_FAILED');
  return new AppError(code, issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), {
    details: { issues },
  });
}
