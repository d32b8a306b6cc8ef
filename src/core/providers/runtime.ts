import type { SessionState } from '../sessions/state';
import type { Key } from '../sessions/keys';
import type { ProviderId } from './index';

export interface LaunchContext {
  /** Resolved binary (null for `command`, whose argv is `args`). */
  binary: string | null;
  args: string[];
  dangerousMode: boolean;
  /** The agent's own session id, when known (Claude: chosen by us at creation). */
  agentSessionId: string | null;
  /** A settings overlay that installs CodePiper's hooks (agents with native hooks). */
  settingsFile?: string | undefined;
}

/** What differs between agents once they run: how to start, resume and quit them, and how to read their screen. */
export interface ProviderRuntime {
  launchArgv(ctx: LaunchContext): string[];
  /** The argv that continues the agent's own conversation; undefined when the provider cannot (then it restarts). */
  resumeArgv(ctx: LaunchContext): string[] | undefined;
  /** Keys that ask the agent to quit (before a stop falls back to killing it). */
  quitKeys: Key[];
  /** A fresh agent session id chosen by CodePiper, for agents that accept one. */
  newAgentSessionId?(): string;
  /** The agent's session id as it shows it on screen, for agents that choose their own. */
  agentSessionIdFromScreen?(screen: string): string | undefined;
  /** A state read from the visible screen, or undefined when the screen says nothing definite. */
  stateFromScreen(screen: string): SessionState | undefined;
  /** True when freshly written output shows the agent at work (checked on the stream, without a capture). */
  busyInStream(text: string): boolean;
  /** Whether output alone means "running" (agents without a recognisable busy marker). */
  outputMeansRunning: boolean;
  /** The keys that answer the permission question on `screen` with yes (this once) or no; undefined if unrecognised. */
  permissionKeys(screen: string, answer: PermissionAnswer): Key[] | undefined;
}

export type PermissionAnswer = 'approve' | 'deny';

/**
 * Claude Code's and Codex's permission menus are numbered: "1" picks "yes, this once" wherever the cursor is, Esc
 * is no. Only their own menu, near the bottom of the screen, is answered: text that merely quotes a question above
 * it does not make "1" land in the prompt.
 */
function numberedMenuKeys(screen: string, answer: PermissionAnswer): Key[] | undefined {
  const bottom = screen.split('\n').filter((line) => line.trim() !== '').slice(-12);
  if (!bottom.some((line) => /^\W*[❯›>]?\s*1\.\s*Yes\b|Yes, allow once/.test(line))) return undefined;
  return answer === 'approve' ? [{ literal: '1' }] : [{ key: 'esc' }];
}

/**
 * Any other program: only the question at the bottom of the screen counts (text higher up may quote a prompt). A
 * letter prompt (Aider's "(Y)es/(N)o") takes the letter and Enter; a numbered menu (Gemini's "Yes, allow once")
 * takes 1 / Esc; anything else is not recognised, and no key is pressed.
 */
function bottomQuestionKeys(screen: string, answer: PermissionAnswer): Key[] | undefined {
  const bottom = screen.split('\n').filter((line) => line.trim() !== '').slice(-8);
  const last = bottom.at(-1) ?? '';
  if (/\(Y\)es\/\(N\)o/.test(last) || /Allow (?:execution|command)\?/i.test(last)) {
    return [{ literal: answer === 'approve' ? 'y' : 'n' }, { key: 'enter' }];
  }
  if (bottom.some((line) => /Yes, allow once|^\W*1\.\s*Yes/.test(line))) return numberedMenuKeys(screen, answer);
  return undefined;
}

const RULE = /^\s*[╭╰]?─{8,}/m;

/** Prompts of other agents that wait for a yes/no (Aider, Gemini) count as a permission question for any provider. */
const GENERIC_PERMISSION = [/\(Y\)es\/\(N\)o/, /Yes, allow once/, /Allow (?:execution|command)\?/i];

const claudeCode: ProviderRuntime = {
  launchArgv: (ctx) => [ctx.binary!, ...(ctx.agentSessionId ? ['--session-id', ctx.agentSessionId] : []), ...settings(ctx), ...dangerous(ctx, '--dangerously-skip-permissions'), ...ctx.args],
  resumeArgv: (ctx) =>
    ctx.agentSessionId ? [ctx.binary!, '--resume', ctx.agentSessionId, ...settings(ctx), ...dangerous(ctx, '--dangerously-skip-permissions'), ...ctx.args] : undefined,
  quitKeys: [{ key: 'esc' }, { literal: '/exit' }, { key: 'enter' }],
  newAgentSessionId: () => crypto.randomUUID(),
  stateFromScreen(screen) {
    // The trust prompt also offers "❯ 1. Yes", so it is recognised before the permission box.
    if (/Do you trust the files in this folder\?/.test(screen)) return 'needs_input';
    if (/Do you want to (?:proceed|make this edit|create)\b.*\?/.test(screen) || /❯\s*1\.\s*Yes/.test(screen) || GENERIC_PERMISSION.some((re) => re.test(screen))) {
      return 'needs_permission';
    }
    if (this.busyInStream(screen)) return 'running';
    if (/^\s*[│]?\s*[❯>]\s/m.test(screen) && RULE.test(screen)) return 'idle';
    return undefined;
  },
  busyInStream: (text) => /(?:esc|ctrl\+c) to interrupt/i.test(text) || /[✻✽✳✶✢·*]\s+\p{L}+ing…/u.test(text),
  outputMeansRunning: false,
  permissionKeys: numberedMenuKeys,
};

const codex: ProviderRuntime = {
  launchArgv: (ctx) => [ctx.binary!, ...dangerous(ctx, '--dangerously-bypass-approvals-and-sandbox'), ...ctx.args],
  resumeArgv: (ctx) =>
    ctx.agentSessionId ? [ctx.binary!, 'resume', ctx.agentSessionId, ...dangerous(ctx, '--dangerously-bypass-approvals-and-sandbox'), ...ctx.args] : undefined,
  quitKeys: [{ key: 'esc' }, { literal: '/quit' }, { key: 'enter' }],
  agentSessionIdFromScreen: (screen) => /session(?: id)?[:·\s]+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(screen)?.[1],
  stateFromScreen(screen) {
    if (/Would you like to (?:run the following command|make the following edits)\?/.test(screen) || /›\s*1\.\s*Yes/.test(screen) || GENERIC_PERMISSION.some((re) => re.test(screen))) {
      return 'needs_permission';
    }
    if (this.busyInStream(screen)) return 'running';
    if (/^›\s/m.test(screen)) return 'idle';
    return undefined;
  },
  busyInStream: (text) => /esc to interrupt/i.test(text) || /•\s+Working/.test(text),
  outputMeansRunning: false,
  permissionKeys: numberedMenuKeys,
};

const command: ProviderRuntime = {
  launchArgv: (ctx) => [...ctx.args],
  resumeArgv: () => undefined,
  quitKeys: [{ key: 'ctrl+c' }],
  stateFromScreen: (screen) => (GENERIC_PERMISSION.some((re) => re.test(screen)) ? 'needs_permission' : undefined),
  busyInStream: () => false,
  outputMeansRunning: true,
  permissionKeys: bottomQuestionKeys,
};

export const RUNTIMES: Record<ProviderId, ProviderRuntime> = { 'claude-code': claudeCode, codex, command };

function settings(ctx: LaunchContext): string[] {
  return ctx.settingsFile ? ['--settings', ctx.settingsFile] : [];
}

function dangerous(ctx: LaunchContext, flag: string): string[] {
  return ctx.dangerousMode ? [flag] : [];
}
