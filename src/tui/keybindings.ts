/**
 * Every key the dashboard answers, in one table. The keypress router (routeKey) reads it to turn a key into a
 * command, and the help screen renders it: a binding cannot exist without appearing in help, nor the other way.
 */
import type { AppState, ScreenId, TextEdit } from './state';

export type Command =
  | 'quit'
  | 'help'
  | 'screen.next'
  | 'screen.prev'
  | 'screen.sessions'
  | 'screen.policies'
  | 'screen.audit'
  | 'screen.analytics'
  | 'screen.search'
  | 'select.next'
  | 'select.prev'
  | 'select.first'
  | 'select.last'
  | 'session.attach'
  | 'session.send'
  | 'session.keys'
  | 'session.approve'
  | 'session.deny'
  | 'session.stop'
  | 'session.kill'
  | 'session.resume'
  | 'session.rename'
  | 'session.new'
  | 'output.up'
  | 'output.down'
  | 'output.follow'
  | 'policy.toggle'
  | 'policy.rules'
  | 'audit.filter'
  | 'audit.selected-session'
  | 'audit.clear-filter'
  | 'analytics.next-range'
  | 'analytics.prev-range'
  | 'search.edit'
  | 'search.open'
  | 'refresh'
  | 'overlay.close'
  | 'prompt.submit'
  | 'confirm.yes'
  | 'form.submit'
  | 'form.next'
  | 'form.prev'
  | 'form.complete'
  | 'form.provider-next'
  | 'form.provider-prev'
  | 'transcript.up'
  | 'transcript.down'
  | 'transcript.page-up'
  | 'transcript.page-down'
  | 'help.down'
  | 'help.up'
  | 'review.open'
  | 'review.close'
  | 'review.next'
  | 'review.prev'
  | 'review.first'
  | 'review.last'
  | 'review.page-down'
  | 'review.page-up'
  | 'review.line-down'
  | 'review.line-up'
  | 'review.top'
  | 'review.bottom'
  | 'review.more'
  | 'review.stage'
  | 'review.unstage'
  | 'review.commit'
  | 'review.turn-next'
  | 'review.turn-prev'
  | 'review.working';

/** Where a binding applies: everywhere, on one screen, or inside one overlay. */
export type Scope = 'global' | ScreenId | 'diff' | 'prompt' | 'confirm' | 'form' | 'transcript' | 'help';

export interface Binding {
  keys: readonly string[];
  command: Command;
  description: string;
  scope: Scope;
}

export const SCOPE_TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  sessions: 'Sessions',
  policies: 'Policies',
  audit: 'Audit',
  analytics: 'Analytics',
  search: 'Search',
  diff: 'Diff view',
  prompt: 'Typing a line',
  confirm: 'Confirming',
  form: 'New session form',
  transcript: 'Transcript',
  help: 'Help',
};

export const BINDINGS: readonly Binding[] = [
  { scope: 'global', keys: ['?'], command: 'help', description: 'this help' },
  { scope: 'global', keys: ['q', 'ctrl+c'], command: 'quit', description: 'quit (agents keep running)' },
  { scope: 'global', keys: ['tab'], command: 'screen.next', description: 'next screen' },
  { scope: 'global', keys: ['shift+tab'], command: 'screen.prev', description: 'previous screen' },
  { scope: 'global', keys: ['1'], command: 'screen.sessions', description: 'sessions' },
  { scope: 'global', keys: ['2'], command: 'screen.policies', description: 'policies' },
  { scope: 'global', keys: ['3'], command: 'screen.audit', description: 'audit log' },
  { scope: 'global', keys: ['4'], command: 'screen.analytics', description: 'analytics' },
  { scope: 'global', keys: ['5'], command: 'screen.search', description: 'search' },
  { scope: 'global', keys: ['j', 'down'], command: 'select.next', description: 'select the next row' },
  { scope: 'global', keys: ['k', 'up'], command: 'select.prev', description: 'select the previous row' },
  { scope: 'global', keys: ['g', 'home'], command: 'select.first', description: 'select the first row' },
  { scope: 'global', keys: ['G', 'end'], command: 'select.last', description: 'select the last row' },
  { scope: 'global', keys: ['ctrl+r'], command: 'refresh', description: 'reload from the daemon' },

  { scope: 'sessions', keys: ['enter', 'a'], command: 'session.attach', description: 'attach to the session in tmux (detach with C-b d to come back)' },
  { scope: 'sessions', keys: ['i', 'p'], command: 'session.send', description: 'send a prompt (a line of text, then Enter)' },
  { scope: 'sessions', keys: ['K'], command: 'session.keys', description: 'send keys (names like esc, ctrl+c, enter, 1)' },
  { scope: 'sessions', keys: ['y'], command: 'session.approve', description: 'approve the pending permission (yes, this once)' },
  { scope: 'sessions', keys: ['n'], command: 'session.deny', description: 'deny the pending permission' },
  { scope: 'sessions', keys: ['s'], command: 'session.stop', description: 'stop the agent the graceful way' },
  { scope: 'sessions', keys: ['x'], command: 'session.kill', description: 'kill the session (asks first)' },
  { scope: 'sessions', keys: ['r'], command: 'session.resume', description: 'resume a stopped or crashed session' },
  { scope: 'sessions', keys: ['R'], command: 'session.rename', description: 'rename the session' },
  { scope: 'sessions', keys: ['c'], command: 'session.new', description: 'start a new session' },
  { scope: 'sessions', keys: ['pageup', 'ctrl+u'], command: 'output.up', description: 'scroll the output up' },
  { scope: 'sessions', keys: ['pagedown', 'ctrl+d'], command: 'output.down', description: 'scroll the output down' },
  { scope: 'sessions', keys: ['f'], command: 'output.follow', description: 'follow new output again' },
  { scope: 'sessions', keys: ['D'], command: 'review.open', description: 'what the session changed: files and diffs, stage, commit, turns' },

  { scope: 'policies', keys: ['space', 't'], command: 'policy.toggle', description: 'enable or disable the policy' },
  { scope: 'policies', keys: ['enter', 'v'], command: 'policy.rules', description: 'show or hide its rules' },

  { scope: 'audit', keys: ['/'], command: 'audit.filter', description: 'filter by session (id, prefix or name)' },
  { scope: 'audit', keys: ['s'], command: 'audit.selected-session', description: "only the selected decision's session" },
  { scope: 'audit', keys: ['escape'], command: 'audit.clear-filter', description: 'show every session' },

  { scope: 'analytics', keys: ['right', 'l', ']'], command: 'analytics.next-range', description: 'next range (today, 7d, 30d, all)' },
  { scope: 'analytics', keys: ['left', 'h', '['], command: 'analytics.prev-range', description: 'previous range' },

  { scope: 'search', keys: ['/', 'i'], command: 'search.edit', description: 'type a query' },
  { scope: 'search', keys: ['enter'], command: 'search.open', description: "open the hit's conversation" },

  { scope: 'diff', keys: ['j', 'down'], command: 'review.next', description: 'next file' },
  { scope: 'diff', keys: ['k', 'up'], command: 'review.prev', description: 'previous file' },
  { scope: 'diff', keys: ['g', 'home'], command: 'review.first', description: 'first file' },
  { scope: 'diff', keys: ['G', 'end'], command: 'review.last', description: 'last file' },
  { scope: 'diff', keys: ['pagedown', 'space', 'ctrl+d'], command: 'review.page-down', description: 'scroll the diff a page down' },
  { scope: 'diff', keys: ['pageup', 'ctrl+u'], command: 'review.page-up', description: 'scroll the diff a page up' },
  { scope: 'diff', keys: ['J'], command: 'review.line-down', description: 'scroll the diff a line down' },
  { scope: 'diff', keys: ['K'], command: 'review.line-up', description: 'scroll the diff a line up' },
  { scope: 'diff', keys: ['<'], command: 'review.top', description: 'the top of the diff' },
  { scope: 'diff', keys: ['>'], command: 'review.bottom', description: 'the end of the diff' },
  { scope: 'diff', keys: ['m'], command: 'review.more', description: 'load more of a diff cut short' },
  { scope: 'diff', keys: ['s'], command: 'review.stage', description: 'stage the file' },
  { scope: 'diff', keys: ['u'], command: 'review.unstage', description: 'unstage the file' },
  { scope: 'diff', keys: ['c'], command: 'review.commit', description: 'commit what is staged (asks for the message)' },
  { scope: 'diff', keys: [']', 'right', 'l'], command: 'review.turn-next', description: "next turn: what one of the agent's turns changed" },
  { scope: 'diff', keys: ['[', 'left', 'h'], command: 'review.turn-prev', description: 'previous turn ([ from the working changes: the latest)' },
  { scope: 'diff', keys: ['w'], command: 'review.working', description: 'back to the working changes (staged and unstaged)' },
  { scope: 'diff', keys: ['escape', 'q'], command: 'review.close', description: 'back to the sessions' },

  { scope: 'prompt', keys: ['enter'], command: 'prompt.submit', description: 'send what was typed' },
  { scope: 'prompt', keys: ['escape'], command: 'overlay.close', description: 'cancel (ctrl+u clears, ctrl+w deletes a word)' },

  { scope: 'confirm', keys: ['y'], command: 'confirm.yes', description: 'yes' },
  { scope: 'confirm', keys: ['n', 'escape'], command: 'overlay.close', description: 'no (any other key too)' },

  { scope: 'form', keys: ['enter'], command: 'form.submit', description: 'start the session' },
  { scope: 'form', keys: ['escape'], command: 'overlay.close', description: 'cancel' },
  { scope: 'form', keys: ['tab'], command: 'form.complete', description: 'complete the directory; elsewhere, next field' },
  { scope: 'form', keys: ['down'], command: 'form.next', description: 'next field' },
  { scope: 'form', keys: ['up', 'shift+tab'], command: 'form.prev', description: 'previous field' },
  { scope: 'form', keys: ['right'], command: 'form.provider-next', description: 'next provider (on the provider field)' },
  { scope: 'form', keys: ['left'], command: 'form.provider-prev', description: 'previous provider (on the provider field)' },

  { scope: 'transcript', keys: ['j', 'down'], command: 'transcript.down', description: 'next message' },
  { scope: 'transcript', keys: ['k', 'up'], command: 'transcript.up', description: 'previous message' },
  { scope: 'transcript', keys: ['pagedown', 'space'], command: 'transcript.page-down', description: 'ten messages on' },
  { scope: 'transcript', keys: ['pageup'], command: 'transcript.page-up', description: 'ten messages back' },
  { scope: 'transcript', keys: ['escape', 'q'], command: 'overlay.close', description: 'close' },

  { scope: 'help', keys: ['j', 'down', 'pagedown', 'space'], command: 'help.down', description: 'scroll down' },
  { scope: 'help', keys: ['k', 'up', 'pageup'], command: 'help.up', description: 'scroll up' },
  { scope: 'help', keys: ['escape', '?', 'q'], command: 'overlay.close', description: 'close help (any other key too)' },
];

/** The parts of Ink's key object the router reads. */
export interface InkKey {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

/** One name per key, as the table spells it: "j", "G", "enter", "ctrl+c", "shift+tab", "pageup", "space". */
export function keyName(input: string, key: InkKey): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  // Terminals send DEL (0x7f) for Backspace; Ink reports it as backspace or delete depending on the sequence.
  if (key.backspace || key.delete) return 'backspace';
  if (key.escape) return 'escape';
  if (key.ctrl) return `ctrl+${input.toLowerCase()}`;
  if (key.meta) return `alt+${input}`;
  if (input === ' ') return 'space';
  return input;
}

/** What a key does: a command from the table, an edit of the line being typed, or nothing. */
export type Routed = { command: Command } | { edit: TextEdit } | null;

const byScope = new Map<Scope, Map<string, Command>>();
for (const binding of BINDINGS) {
  let keys = byScope.get(binding.scope);
  if (!keys) byScope.set(binding.scope, (keys = new Map()));
  for (const key of binding.keys) if (!keys.has(key)) keys.set(key, binding.command);
}

function lookup(scope: Scope, name: string): Routed {
  const command = byScope.get(scope)?.get(name);
  return command ? { command } : null;
}

/** Printable text (typed or pasted) to insert into a field; undefined for keys that are not text. */
function typedText(input: string, key: InkKey): string | undefined {
  if (key.ctrl || key.meta || key.escape || key.return || key.tab) return undefined;
  // eslint-disable-next-line no-control-regex
  if (input === '' || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(input)) return undefined;
  return input.replace(/\t/g, ' ');
}

/** The keypress router: overlays first (they own the keyboard while open), then the screen, then global keys. */
export function routeKey(state: AppState, input: string, key: InkKey): Routed {
  const name = keyName(input, key);
  if (name === 'ctrl+c') return { command: 'quit' };
  const overlay = state.overlay;
  if (overlay) {
    switch (overlay.kind) {
      case 'help':
        return lookup('help', name) ?? { command: 'overlay.close' };
      case 'confirm':
        return lookup('confirm', name) ?? { command: 'overlay.close' };
      case 'prompt':
      case 'form': {
        const routed = lookup(overlay.kind, name);
        if (routed) return routed;
        if (name === 'backspace') return { edit: { key: 'backspace' } };
        if (name === 'ctrl+u') return { edit: { key: 'clear' } };
        if (name === 'ctrl+w') return { edit: { key: 'delete-word' } };
        const text = typedText(input, key);
        return text === undefined ? null : { edit: { insert: text } };
      }
      case 'transcript':
        return lookup('transcript', name);
    }
  }
  // The diff view covers the screen it was opened from: its keys, then the global ones (a screen key leaves it).
  if (state.review) return lookup('diff', name) ?? lookup('global', name);
  return lookup(state.screen, name) ?? lookup('global', name);
}

const CONTROL_KEYS: Record<string, InkKey> = { '\r': { return: true }, '\n': { return: true }, '\t': { tab: true }, '\u007f': { backspace: true }, '\b': { backspace: true } };

/** Commands a burst of keys may carry out one by one: moving around, nothing that acts on a session. */
const BURST_SAFE = new Set<Command>([
  'select.next',
  'select.prev',
  'select.first',
  'select.last',
  'screen.sessions',
  'screen.policies',
  'screen.audit',
  'screen.analytics',
  'screen.search',
  'transcript.up',
  'transcript.down',
  'help.down',
  'help.up',
  'review.next',
  'review.prev',
  'review.line-down',
  'review.line-up',
]);

/**
 * A burst of keys that arrived together (fast typing, a terminal that batches, a paste) as the keypresses it holds,
 * for routeKey one at a time. In a text field a burst is text: newlines inside it become spaces, a newline at its
 * end is Enter. Anywhere else it is split only when every key of it just moves around ("kk", "jjj"): a paste that
 * lands on a screen must not kill, stop or answer anything letter by letter, so any other burst is dropped.
 */
export function splitKeys(state: AppState, input: string, key: InkKey): Array<{ input: string; key: InkKey }> {
  const flagged = Object.entries(key).some(([name, value]) => value === true && name !== 'shift');
  if (flagged || [...input].length <= 1) return [{ input, key }];
  const overlay = state.overlay?.kind;
  if (overlay === 'prompt' || overlay === 'form') {
    const text = input.replace(/[\r\n]+$/, '');
    const pieces: Array<{ input: string; key: InkKey }> = text ? [{ input: text.replace(/\r\n?/g, '\n'), key: {} }] : [];
    if (text !== input) pieces.push({ input: '\r', key: { return: true } });
    return pieces;
  }
  const keys = [...input].map((char) => ({ input: char, key: CONTROL_KEYS[char] ?? {} }));
  const safeToSplit = keys.every((press) => {
    const routed = routeKey(state, press.input, press.key);
    return routed !== null && 'command' in routed && BURST_SAFE.has(routed.command);
  });
  return safeToSplit ? keys : [];
}

/** The help screen's content, straight from the table: one section per scope, keys joined with "/". */
export function helpSections(): Array<{ title: string; rows: Array<{ keys: string; description: string }> }> {
  const sections: Array<{ title: string; rows: Array<{ keys: string; description: string }> }> = [];
  for (const [scope, title] of Object.entries(SCOPE_TITLES) as Array<[Scope, string]>) {
    const rows = BINDINGS.filter((binding) => binding.scope === scope).map((binding) => ({ keys: binding.keys.join(', '), description: binding.description }));
    if (rows.length) sections.push({ title, rows });
  }
  return sections;
}

/** Lines of the help screen: a title per section and a row per binding. */
export function helpLineCount(): number {
  return helpSections().reduce((lines, section) => lines + 1 + section.rows.length, 0);
}
