import type { SessionState } from '../sessions/state';
import type { Key } from '../runner/keys';
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
  /** How the agent switches its model, for providers that support it (capability supportsModelSwitch). */
  model?: ModelSwitching | undefined;
}

/**
 * An agent's own model command, and how its output tells the model: `confirmation` reads the line it prints after a
 * switch; `current` any other line that names the model in use (a header). Both return undefined for other lines.
 */
export interface ModelSwitching {
  command(model: string): string;
  confirmation(line: string): ModelSeen | undefined;
  current(line: string): ModelSeen | undefined;
}

/** A model as a line names it: the model (an id when the line gives one) and the line's words for it. */
export interface ModelSeen {
  model: string;
  text: string;
}

export type PermissionAnswer = 'approve' | 'deny';

/*
 * Reading a screen. An agent draws what it is doing in its live region at the bottom of the screen: its prompt (the
 * input box), what is directly above it (a spinner, a todo list) and its footer below; a dialog (a permission box, a
 * question) takes the prompt's place. Everything higher up is transcript, and a marker there (a reply that quotes
 * "Do you want to proceed?", a file that contains "esc to interrupt", grep output with "Allow command?") is text.
 * So each provider first finds its prompt at the bottom; only when there is none is the bottom read as a dialog,
 * from the last line up: the marker nearest the bottom is the dialog's own (its options and footer are drawn last).
 */

/** Lines of the screen without trailing blanks and trailing blank lines. */
function screenLines(screen: string): string[] {
  const lines = screen.split('\n').map((line) => line.replace(/\s+$/, ''));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** How many non-blank lines of the bottom are read as a dialog when no prompt is there. */
const DIALOG_LINES = 16;
/** Footer lines an agent draws below its prompt (mode, hints, context left). */
const FOOTER_LINES = 4;
/** Lines of the block directly above the prompt that belong to the live region (a spinner and its todo list). */
const ABOVE_LINES = 8;

/** The live region once the prompt is found at the bottom: the block directly above it and the footer below it. */
interface AtPrompt {
  above: string[];
  footer: string[];
}

/** The block of non-blank lines directly above line `top` (blank lines between are skipped). */
function blockAbove(lines: string[], top: number): string[] {
  let end = top;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  let start = end;
  while (start > 0 && end - start < ABOVE_LINES && lines[start - 1]!.trim() !== '') start--;
  return lines.slice(start, end);
}

/** A numbered option with the cursor on it ("❯ 1. Redis", "› 2. …", "> 1. Sign in …"): a menu waits for a choice. */
const MENU_CURSOR = /^\W*?[❯›>]\s*\d+\.\s/;

type Marker = readonly [RegExp, SessionState];

/**
 * A dialog at the bottom: a letter prompt on the last line, else the marker nearest the bottom decides; a menu no
 * marker names is a question to the user; else a busy line (a spinner without its prompt) means running.
 */
function readDialog(lines: string[], markers: readonly Marker[], busyLine: RegExp[]): SessionState | undefined {
  const bottom = lines.filter((line) => line.trim() !== '').slice(-DIALOG_LINES);
  if (otherProgramQuestion(bottom) === 'letter') return 'needs_permission';
  for (let i = bottom.length - 1; i >= 0; i--) {
    for (const [pattern, state] of markers) if (pattern.test(bottom[i]!)) return state;
  }
  if (bottom.some((line) => MENU_CURSOR.test(line))) return 'needs_input';
  if (bottom.slice(-ABOVE_LINES).some((line) => busyLine.some((pattern) => pattern.test(line)))) return 'running';
  return undefined;
}

/** A letter prompt on the last line ("(Y)es/(N)o", "Allow command?"): answered with the letter and Enter. */
const LETTER_PROMPT = [/\(Y\)es\/\(N\)o/, /Allow (?:execution|command)\?/i];
/** The first option of a numbered yes menu (Gemini's "Yes, allow once", "1. Yes"). */
const YES_OPTION = /Yes, allow once|^\W*1\.\s*Yes\b/;
/** What may follow a numbered menu's first option and still be the menu: more options, its border, "No (esc)". */
const MENU_REST = /^\W*\d+\.\s|^\s*[╰└]|\(esc\)\s*\W*$/;

/**
 * Another program's yes/no question (Aider, Gemini), recognised for every provider, but only where it is asked: a
 * letter prompt on the last line, or a numbered yes menu that nothing but its own options and border follows.
 */
function otherProgramQuestion(bottom: string[]): 'letter' | 'menu' | undefined {
  const last = bottom.at(-1) ?? '';
  if (LETTER_PROMPT.some((pattern) => pattern.test(last))) return 'letter';
  const tail = bottom.slice(-8);
  let yes = -1;
  tail.forEach((line, i) => {
    if (YES_OPTION.test(line)) yes = i;
  });
  if (yes >= 0 && tail.slice(yes + 1).every((line) => MENU_REST.test(line))) return 'menu';
  return undefined;
}

function letterKeys(answer: PermissionAnswer): Key[] {
  return [{ literal: answer === 'approve' ? 'y' : 'n' }, { key: 'enter' }];
}

/**
 * Claude Code's and Codex's permission menus are numbered: "1" picks "yes, this once" wherever the cursor is, Esc is
 * no. Keys are given exactly when the screen reads as waiting for permission: a question to the user or a menu that
 * is only quoted gets none, so no "1" lands in a prompt or picks an answer for the person.
 */
function agentPermissionKeys(stateFromScreen: (screen: string) => SessionState | undefined) {
  return (screen: string, answer: PermissionAnswer): Key[] | undefined => {
    if (stateFromScreen(screen) !== 'needs_permission') return undefined;
    const bottom = screenLines(screen).filter((line) => line.trim() !== '');
    if (otherProgramQuestion(bottom) === 'letter') return letterKeys(answer);
    return answer === 'approve' ? [{ literal: '1' }] : [{ key: 'esc' }];
  };
}

/** Any other program: only the question at the bottom of the screen counts (text higher up may quote a prompt). */
function commandPermissionKeys(screen: string, answer: PermissionAnswer): Key[] | undefined {
  const kind = otherProgramQuestion(screenLines(screen).filter((line) => line.trim() !== ''));
  if (kind === 'letter') return letterKeys(answer);
  if (kind === 'menu') return answer === 'approve' ? [{ literal: '1' }] : [{ key: 'esc' }];
  return undefined;
}

// ---- Claude Code

/** A rule of the input box (or the top and bottom of the older bordered box). */
const CLAUDE_RULE = /^\s*[╭╰]?─{8,}/;
/** The input line: "❯ " (the older "> ", "! " in bash mode), possibly in a bordered box; a numbered option is not one. */
const CLAUDE_PROMPT = /^\s*│?\s*[❯>!](?:\s|$)(?!\s*\d+\.\s)/;
/** The spinner line at the top of the live region: a glyph at the start of the line and a "…ing…" word or the retry line. */
const CLAUDE_SPINNER = [/^ ?[✻✽✳✶✢·*]\s+\S.*…/u, /^ ?[✻✽✳✶✢·*]\s.*\b(?:esc|ctrl\+c) to interrupt\b/i];
const INTERRUPT_HINT = /\b(?:esc|ctrl\+c) to interrupt\b/i;

/** Claude Code's input box at the bottom: a prompt line right under a rule, a rule below it, then only the footer. */
function claudeAtPrompt(lines: string[]): AtPrompt | undefined {
  let footer = 0;
  for (let bottom = lines.length - 1; bottom >= 0; bottom--) {
    const line = lines[bottom]!;
    if (CLAUDE_RULE.test(line)) {
      // The top rule is a few lines up at most (an input of several lines), with the prompt line right under it.
      for (let top = bottom - 1; top >= Math.max(0, bottom - 8); top--) {
        if (!CLAUDE_RULE.test(lines[top]!)) continue;
        if (top < bottom - 1 && CLAUDE_PROMPT.test(lines[top + 1]!)) return { above: blockAbove(lines, top), footer: lines.slice(bottom + 1) };
        return undefined;
      }
      return undefined;
    }
    if (line.trim() !== '' && ++footer > FOOTER_LINES) return undefined;
  }
  return undefined;
}

/** Claude Code's dialogs, by the lines they draw (the nearest to the bottom decides). */
const CLAUDE_DIALOGS: readonly Marker[] = [
  // Questions to the person: AskUserQuestion menus, the trust dialogs (newer and older), the API-key question.
  [/Enter to select\b/, 'needs_input'],
  [/Tab\/Arrow keys to navigate/, 'needs_input'],
  [/^\W*\d+\.\s*(?:Type something|Chat about this)/, 'needs_input'],
  [/[☐☒]\s+\S|✔ Submit/, 'needs_input'],
  [/Yes, I trust this folder|^\W*(?:\d+\.\s*)?No, exit\b/, 'needs_input'],
  [/Is this a project you created or one you trust\?|Do you trust the files in this folder\?/, 'needs_input'],
  [/No \(recommended\)|Do you want to use this API key\?|Detected a custom API key/, 'needs_input'],
  // The permission box.
  [/No, and tell (?:Claude|Codex) what to do differently/, 'needs_permission'],
  [/Yes, and don.t ask again|Yes, allow (?:once|all edits)|Yes, always allow|^\W*Deny \(esc\)/, 'needs_permission'],
  [/Do you want to (?:proceed|make this edit|create|allow)\b.*\?/, 'needs_permission'],
  [/^\W*[❯›>]?\s*1\.\s*Yes\b/, 'needs_permission'],
];

function claudeState(screen: string): SessionState | undefined {
  const lines = screenLines(screen);
  const prompt = claudeAtPrompt(lines);
  if (prompt) {
    const busy = prompt.above.some((line) => CLAUDE_SPINNER.some((pattern) => pattern.test(line))) || prompt.footer.some((line) => INTERRUPT_HINT.test(line));
    return busy ? 'running' : 'idle';
  }
  return readDialog(lines, CLAUDE_DIALOGS, CLAUDE_SPINNER);
}

// ---- Codex

/** Codex's composer: "› " (the older one "▌ "); a numbered option ("› 1. Yes, proceed") is not one. */
const CODEX_PROMPT = /^(?:›(?!\s*\d+\.\s)|▌)(?:\s|$)/;
/** The status line above the composer: "• Working (12s • esc to interrupt)". */
const CODEX_BUSY = [/^(?:•|[⠀-⣿])\s+Working\b/, /^(?:•|[⠀-⣿])\s+\S.*\(\d+[hms][^)]*\b(?:esc|ctrl\+c) to interrupt\)/i];

/** Codex's composer at the bottom (its first line when it spans several), with only the footer below. */
function codexAtPrompt(lines: string[]): AtPrompt | undefined {
  let footer = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (CODEX_PROMPT.test(line)) {
      let top = i;
      while (top > 0 && CODEX_PROMPT.test(lines[top - 1]!)) top--;
      return { above: blockAbove(lines, top), footer: lines.slice(i + 1) };
    }
    if (line.trim() !== '' && ++footer > FOOTER_LINES) return undefined;
  }
  return undefined;
}

/** Codex's dialogs: sign-in, API-key entry and the folder question are for the person; approvals ask permission. */
const CODEX_DIALOGS: readonly Marker[] = [
  [/Press enter to continue|Choose how you want to use Codex|Sign in with (?:ChatGPT|Device Code)|Sign in another way/i, 'needs_input'],
  [/Paste or type your API key|Press enter to save|Press esc to go back|Use your own OpenAI API key/i, 'needs_input'],
  [/allow Codex to work in this folder/i, 'needs_input'],
  [/Press enter to confirm or esc to cancel/i, 'needs_permission'],
  [/No, and tell (?:Codex|Claude) what to do differently|Yes, and don.t ask again|Yes, proceed\b|Yes, allow once/, 'needs_permission'],
  [/Would you like to (?:run the following command|make the following edits|allow)\b.*\?/, 'needs_permission'],
  [/^\W*[❯›>]?\s*1\.\s*Yes\b/, 'needs_permission'],
];

function codexState(screen: string): SessionState | undefined {
  const lines = screenLines(screen);
  const prompt = codexAtPrompt(lines);
  if (prompt) return prompt.above.some((line) => CODEX_BUSY.some((pattern) => pattern.test(line))) ? 'running' : 'idle';
  return readDialog(lines, CODEX_DIALOGS, CODEX_BUSY);
}

// ---- model switching

/** A model id in parentheses at the end of a line: "Opus 4.1 (claude-opus-4-1-20250805)"; not "(default)". */
const MODEL_ID_IN_PARENS = /\(([A-Za-z0-9._:/@[\]-]*[0-9-][A-Za-z0-9._:/@[\]-]*)\)\s*$/;

/** Claude Code's answer to `/model X`: "Set model to X", or "Set model to Opus 4.1 (claude-opus-4-1-…)". */
function claudeModelConfirmation(line: string): ModelSeen | undefined {
  const match = /Set model to\s+(.+?)\s*$/.exec(line);
  if (!match) return undefined;
  const text = match[1]!.replace(/\*\*/g, '');
  return { model: MODEL_ID_IN_PARENS.exec(text)?.[1] ?? text, text: line.trim() };
}

/** Codex's answer to `/model X`: "Model changed to X" (then, maybe, its reasoning effort). */
function codexModelConfirmation(line: string): ModelSeen | undefined {
  const match = /Model changed to\s+(\S+)/.exec(line);
  return match ? { model: match[1]!, text: line.trim() } : undefined;
}

/** Codex's header names the model it starts with: "model: gpt-5-codex medium   /model to change". */
function codexModelHeader(line: string): ModelSeen | undefined {
  const match = /^\W*model:\s+([A-Za-z0-9][A-Za-z0-9._:/@[\]-]*)/.exec(line);
  return match ? { model: match[1]!, text: line.trim() } : undefined;
}

const claudeCode: ProviderRuntime = {
  launchArgv: (ctx) => [ctx.binary!, ...(ctx.agentSessionId ? ['--session-id', ctx.agentSessionId] : []), ...settings(ctx), ...dangerous(ctx, '--dangerously-skip-permissions'), ...ctx.args],
  resumeArgv: (ctx) =>
    ctx.agentSessionId ? [ctx.binary!, '--resume', ctx.agentSessionId, ...settings(ctx), ...dangerous(ctx, '--dangerously-skip-permissions'), ...ctx.args] : undefined,
  quitKeys: [{ key: 'esc' }, { literal: '/exit' }, { key: 'enter' }],
  newAgentSessionId: () => crypto.randomUUID(),
  stateFromScreen: claudeState,
  busyInStream: (text) => /(?:esc|ctrl\+c) to interrupt/i.test(text) || /[✻✽✳✶✢·*]\s+\p{L}+ing…/u.test(text),
  outputMeansRunning: false,
  permissionKeys: agentPermissionKeys(claudeState),
  model: { command: (model) => `/model ${model}`, confirmation: claudeModelConfirmation, current: claudeModelConfirmation },
};

const codex: ProviderRuntime = {
  launchArgv: (ctx) => [ctx.binary!, ...dangerous(ctx, '--dangerously-bypass-approvals-and-sandbox'), ...ctx.args],
  resumeArgv: (ctx) =>
    ctx.agentSessionId ? [ctx.binary!, 'resume', ctx.agentSessionId, ...dangerous(ctx, '--dangerously-bypass-approvals-and-sandbox'), ...ctx.args] : undefined,
  quitKeys: [{ key: 'esc' }, { literal: '/quit' }, { key: 'enter' }],
  agentSessionIdFromScreen: (screen) => /session(?: id)?[:·\s]+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(screen)?.[1],
  stateFromScreen: codexState,
  busyInStream: (text) => /esc to interrupt/i.test(text) || /•\s+Working/.test(text),
  outputMeansRunning: false,
  permissionKeys: agentPermissionKeys(codexState),
  model: { command: (model) => `/model ${model}`, confirmation: codexModelConfirmation, current: (line) => codexModelConfirmation(line) ?? codexModelHeader(line) },
};

const command: ProviderRuntime = {
  launchArgv: (ctx) => [...ctx.args],
  resumeArgv: () => undefined,
  quitKeys: [{ key: 'ctrl+c' }],
  stateFromScreen: (screen) => (commandPermissionKeys(screen, 'approve') ? 'needs_permission' : undefined),
  busyInStream: () => false,
  outputMeansRunning: true,
  permissionKeys: commandPermissionKeys,
};

export const RUNTIMES: Record<ProviderId, ProviderRuntime> = { 'claude-code': claudeCode, codex, command };

function settings(ctx: LaunchContext): string[] {
  return ctx.settingsFile ? ['--settings', ctx.settingsFile] : [];
}

function dangerous(ctx: LaunchContext, flag: string): string[] {
  return ctx.dangerousMode ? [flag] : [];
}
