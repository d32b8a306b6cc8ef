/**
 * The dashboard's state and the reducer that is its only writer. Pure: no I/O, no Ink, no timers, so every change a
 * key or a daemon message makes can be unit-tested by feeding actions. Side effects live in controller.ts.
 */
import type { RouteOutput } from '../core/api';
import type { Session } from '../core/api/sessions';
import { PROVIDER_IDS } from '../core/providers';
import { reviewReducer, type ReviewAction, type ReviewState } from './review';

export type Policy = RouteOutput<'policies.list'>['policies'][number];
export type Decision = RouteOutput<'policyDecisions.list'>['decisions'][number];
export type SearchHit = RouteOutput<'search'>['hits'][number];
export type Overview = RouteOutput<'analytics.overview'>;
export type TokenDay = RouteOutput<'analytics.tokenUsage'>['days'][number];
export type ModelUsage = RouteOutput<'analytics.tokensByModel'>['models'][number];
export type TranscriptMessage = RouteOutput<'library.get'>['messages'][number];
export type { Session };

export const SCREENS = ['sessions', 'policies', 'audit', 'analytics', 'search'] as const;
export type ScreenId = (typeof SCREENS)[number];
export const SCREEN_TITLES: Record<ScreenId, string> = { sessions: 'Sessions', policies: 'Policies', audit: 'Audit', analytics: 'Analytics', search: 'Search' };

export const RANGES = ['today', '7d', '30d', 'all'] as const;
export type Range = (typeof RANGES)[number];

/** Tokens and cost of a managed session, from the transcript index. */
export interface SessionUsage {
  totalTokens: number;
  totalCost: number;
}

/** What a line of text typed into the dashboard is for. */
export type PromptPurpose = 'send' | 'keys' | 'rename' | 'audit-filter' | 'search' | 'commit';

/** The providers the new-session form cycles through: every provider, in the contract's order. */
export const PROVIDER_CHOICES = PROVIDER_IDS;
export const FORM_FIELDS = ['provider', 'cwd', 'name', 'args'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface NewSessionForm {
  provider: (typeof PROVIDER_CHOICES)[number];
  cwd: string;
  name: string;
  args: string;
  field: FormField;
  /** Directories that complete what is typed in cwd, shown under the field after Tab. */
  completions: string[];
  error: string | null;
  /** A create request is on its way: Enter again does nothing. */
  submitting?: boolean;
}

export type Overlay =
  | { kind: 'help'; scroll: number }
  | { kind: 'prompt'; purpose: PromptPurpose; label: string; value: string; sessionId: string | null }
  /** The one question asked before acting: kill the session? */
  | { kind: 'confirm'; message: string; sessionId: string }
  | { kind: 'form'; form: NewSessionForm }
  | { kind: 'transcript'; title: string; messages: TranscriptMessage[]; total: number; scroll: number; loading: boolean; request: number };

export interface AppState {
  screen: ScreenId;
  overlay: Overlay | null;
  connection: { status: 'connecting' | 'connected' | 'lost'; message: string | null };
  /** The latest notice; `alert` is a notification from the daemon (a banner, with the bell). */
  notice: { text: string; kind: 'info' | 'error' | 'alert' } | null;
  sessions: Session[];
  selectedId: string | null;
  usage: Record<string, SessionUsage>;
  /** The selected session's screen with its scrollback, ANSI colours kept, and how far the user scrolled up. */
  output: { sessionId: string | null; lines: string[]; scroll: number };
  policies: { list: Policy[]; selected: number; showRules: boolean; loaded: boolean };
  audit: { decisions: Decision[]; total: number; sessionFilter: string | null; selected: number; loaded: boolean };
  analytics: { range: Range; overview: Overview | null; days: TokenDay[]; models: ModelUsage[]; loading: boolean; error: string | null };
  search: { query: string; hits: SearchHit[]; total: number; totalExact: boolean; selected: number; loading: boolean; error: string | null };
  size: { columns: number; rows: number };
  /** The diff view of one session (D on the sessions screen), drawn instead of the screen while open. */
  review: ReviewState | null;
}

export function initialState(size = { columns: 80, rows: 24 }): AppState {
  return {
    screen: 'sessions',
    overlay: null,
    connection: { status: 'connecting', message: null },
    notice: null,
    sessions: [],
    selectedId: null,
    usage: {},
    output: { sessionId: null, lines: [], scroll: 0 },
    policies: { list: [], selected: 0, showRules: false, loaded: false },
    audit: { decisions: [], total: 0, sessionFilter: null, selected: 0, loaded: false },
    analytics: { range: '7d', overview: null, days: [], models: [], loading: false, error: null },
    search: { query: '', hits: [], total: 0, totalExact: true, selected: 0, loading: false, error: null },
    size,
    review: null,
  };
}

export type Action =
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'connection'; status: AppState['connection']['status']; message?: string | null }
  | { type: 'notice'; text: string; kind?: 'info' | 'error' | 'alert' }
  | { type: 'notice/clear' }
  | { type: 'screen'; screen: ScreenId }
  | { type: 'screen/step'; delta: 1 | -1 }
  | { type: 'overlay'; overlay: Overlay | null }
  | { type: 'sessions/loaded'; sessions: Session[] }
  | { type: 'sessions/upsert'; session: Session }
  | { type: 'sessions/usage'; usage: Record<string, SessionUsage> }
  | { type: 'select/move'; delta: number }
  | { type: 'select/edge'; edge: 'first' | 'last' }
  | { type: 'select/session'; id: string }
  | { type: 'output/loaded'; sessionId: string; text: string }
  | { type: 'output/scroll'; delta: number }
  | { type: 'output/follow' }
  | { type: 'prompt/edit'; edit: TextEdit }
  | { type: 'form/edit'; edit: TextEdit }
  | { type: 'form/field'; delta: 1 | -1 }
  | { type: 'form/provider'; delta: 1 | -1 }
  | { type: 'form/completions'; value: string; completions: string[] }
  | { type: 'form/error'; error: string | null }
  | { type: 'form/submitting'; submitting: boolean }
  | { type: 'policies/loaded'; policies: Policy[] }
  | { type: 'policies/rules' }
  | { type: 'audit/loaded'; sessionFilter: string | null; decisions: Decision[]; total: number }
  | { type: 'audit/filter'; sessionId: string | null }
  | { type: 'analytics/range'; delta: 1 | -1 }
  | { type: 'analytics/loading' }
  | { type: 'analytics/loaded'; overview: Overview; days: TokenDay[]; models: ModelUsage[] }
  | { type: 'analytics/failed'; error: string }
  | { type: 'search/start'; query: string }
  | { type: 'search/loaded'; query: string; hits: SearchHit[]; total: number; totalExact: boolean }
  | { type: 'search/failed'; query: string; error: string }
  | { type: 'transcript/loaded'; request: number; title: string; messages: TranscriptMessage[]; total: number; scroll?: number }
  | { type: 'transcript/scroll'; delta: number }
  /** `lines`: how long the help is (keybindings.ts renders it; the reducer only bounds the scroll by it). */
  | { type: 'help/scroll'; delta: number; lines: number }
  | ReviewAction;

/** An edit of a one-line text field: typed text, or a key that edits. */
export type TextEdit = { insert: string } | { key: 'backspace' | 'clear' | 'delete-word' };

export function editText(value: string, edit: TextEdit): string {
  if ('insert' in edit) return value + edit.insert.replace(/[\r\n]/g, ' ');
  if (edit.key === 'backspace') return [...value].slice(0, -1).join('');
  if (edit.key === 'clear') return '';
  return value.replace(/\S+\s*$/, '');
}

/** Attention first: sessions that wait for the user, then live ones, then ended ones; newest first within each. */
const STATE_RANK: Record<Session['state'], number> = { needs_permission: 0, needs_input: 1, running: 2, starting: 2, idle: 3, crashed: 4, stopped: 5 };

export function sortSessions(sessions: readonly Session[]): Session[] {
  return [...sessions].sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || b.createdAt.localeCompare(a.createdAt));
}

export function selectedSession(state: AppState): Session | undefined {
  return state.sessions.find((session) => session.id === state.selectedId);
}

export function countsByState(sessions: readonly Session[]): Partial<Record<Session['state'], number>> {
  const counts: Partial<Record<Session['state'], number>> = {};
  for (const session of sessions) counts[session.state] = (counts[session.state] ?? 0) + 1;
  return counts;
}

/** Lines kept per session screen: enough scrollback to read back a few pages, bounded so a flood cannot grow it. */
export const OUTPUT_LINES = 500;

const clamp = (value: number, min: number, max: number) => Math.max(min, Math.min(max, value));

/** The item `delta` places from `current` in a list that wraps around (screens, form fields, providers, ranges). */
function cycle<T>(list: readonly T[], current: T, delta: number): T {
  return list[(list.indexOf(current) + delta + list.length) % list.length]!;
}

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'resize':
      return { ...state, size: { columns: action.columns, rows: action.rows } };
    case 'connection':
      return { ...state, connection: { status: action.status, message: action.message ?? null } };
    case 'notice':
      return { ...state, notice: { text: action.text, kind: action.kind ?? 'info' } };
    case 'notice/clear':
      return state.notice ? { ...state, notice: null } : state;
    case 'screen':
      return { ...state, screen: action.screen, overlay: null, review: null };
    case 'screen/step':
      return { ...state, screen: cycle(SCREENS, state.screen, action.delta), overlay: null, review: null };
    case 'overlay':
      return { ...state, overlay: action.overlay };
    case 'sessions/loaded':
      return withSelection(state, sortSessions(action.sessions));
    case 'sessions/upsert': {
      const others = state.sessions.filter((session) => session.id !== action.session.id);
      return withSelection(state, sortSessions([...others, action.session]));
    }
    case 'sessions/usage':
      return { ...state, usage: action.usage };
    case 'select/move':
    case 'select/edge':
      return moveSelection(state, action);
    case 'select/session':
      if (!state.sessions.some((session) => session.id === action.id) || state.selectedId === action.id) return state;
      return { ...state, selectedId: action.id, output: { sessionId: null, lines: [], scroll: 0 } };
    case 'output/loaded': {
      if (action.sessionId !== state.selectedId) return state;
      const lines = action.text.split('\n').slice(-OUTPUT_LINES);
      const same = state.output.sessionId === action.sessionId;
      const scroll = same && state.output.scroll > 0 ? keptPlace(state.output.lines, state.output.scroll, lines) : 0;
      return { ...state, output: { sessionId: action.sessionId, lines, scroll } };
    }
    case 'output/scroll':
      return { ...state, output: { ...state.output, scroll: clamp(state.output.scroll + action.delta, 0, Math.max(0, state.output.lines.length - 1)) } };
    case 'output/follow':
      return { ...state, output: { ...state.output, scroll: 0 } };
    case 'prompt/edit':
      if (state.overlay?.kind !== 'prompt') return state;
      return { ...state, overlay: { ...state.overlay, value: editText(state.overlay.value, action.edit) } };
    case 'form/edit': {
      if (state.overlay?.kind !== 'form') return state;
      const form = state.overlay.form;
      if (form.field === 'provider') return state;
      const next = { ...form, [form.field]: editText(form[form.field], action.edit), error: null, completions: form.field === 'cwd' ? [] : form.completions };
      return { ...state, overlay: { kind: 'form', form: next } };
    }
    case 'form/field': {
      if (state.overlay?.kind !== 'form') return state;
      const form = state.overlay.form;
      const field = cycle(FORM_FIELDS, form.field, action.delta);
      return { ...state, overlay: { kind: 'form', form: { ...form, field, completions: [] } } };
    }
    case 'form/provider': {
      if (state.overlay?.kind !== 'form') return state;
      const form = state.overlay.form;
      const provider = cycle(PROVIDER_CHOICES, form.provider, action.delta);
      return { ...state, overlay: { kind: 'form', form: { ...form, provider, error: null } } };
    }
    case 'form/completions': {
      if (state.overlay?.kind !== 'form') return state;
      return { ...state, overlay: { kind: 'form', form: { ...state.overlay.form, cwd: action.value, completions: action.completions } } };
    }
    case 'form/error': {
      if (state.overlay?.kind !== 'form') return state;
      return { ...state, overlay: { kind: 'form', form: { ...state.overlay.form, error: action.error } } };
    }
    case 'form/submitting': {
      if (state.overlay?.kind !== 'form') return state;
      return { ...state, overlay: { kind: 'form', form: { ...state.overlay.form, submitting: action.submitting } } };
    }
    case 'policies/loaded': {
      const selected = clamp(state.policies.selected, 0, Math.max(0, action.policies.length - 1));
      return { ...state, policies: { ...state.policies, list: action.policies, selected, loaded: true } };
    }
    case 'policies/rules':
      return { ...state, policies: { ...state.policies, showRules: !state.policies.showRules } };
    case 'audit/loaded': {
      if (action.sessionFilter !== state.audit.sessionFilter) return state; // an answer for a filter since changed
      const selected = clamp(state.audit.selected, 0, Math.max(0, action.decisions.length - 1));
      return { ...state, audit: { ...state.audit, decisions: action.decisions, total: action.total, selected, loaded: true } };
    }
    case 'audit/filter':
      return { ...state, audit: { ...state.audit, sessionFilter: action.sessionId, selected: 0, loaded: false } };
    case 'analytics/range':
      return { ...state, analytics: { ...state.analytics, range: cycle(RANGES, state.analytics.range, action.delta) } };
    case 'analytics/loading':
      return { ...state, analytics: { ...state.analytics, loading: true, error: null } };
    case 'analytics/loaded':
      return { ...state, analytics: { ...state.analytics, overview: action.overview, days: action.days, models: action.models, loading: false, error: null } };
    case 'analytics/failed':
      return { ...state, analytics: { ...state.analytics, loading: false, error: action.error } };
    case 'search/start':
      return { ...state, search: { ...state.search, query: action.query, loading: true, error: null } };
    case 'search/loaded':
      if (action.query !== state.search.query) return state; // an answer to a query since replaced
      return { ...state, search: { ...state.search, hits: action.hits, total: action.total, totalExact: action.totalExact, selected: 0, loading: false, error: null } };
    case 'search/failed':
      if (action.query !== state.search.query) return state;
      return { ...state, search: { ...state.search, hits: [], total: 0, selected: 0, loading: false, error: action.error } };
    case 'transcript/loaded': {
      // Only into the viewer that asked: not over a prompt opened meanwhile, not after the viewer was closed.
      if (state.overlay?.kind !== 'transcript' || state.overlay.request !== action.request) return state;
      const scroll = clamp(action.scroll ?? 0, 0, Math.max(0, action.messages.length - 1));
      return { ...state, overlay: { ...state.overlay, title: action.title, messages: action.messages, total: action.total, scroll, loading: false } };
    }
    case 'help/scroll':
      if (state.overlay?.kind !== 'help') return state;
      return { ...state, overlay: { kind: 'help', scroll: clamp(state.overlay.scroll + action.delta, 0, Math.max(0, action.lines - (state.size.rows - 5))) } };
    case 'transcript/scroll': {
      if (state.overlay?.kind !== 'transcript') return state;
      const scroll = clamp(state.overlay.scroll + action.delta, 0, Math.max(0, state.overlay.messages.length - 1));
      return { ...state, overlay: { ...state.overlay, scroll } };
    }
    default:
      if (action.type.startsWith('review/')) {
        const review = reviewReducer(state.review, action);
        return review === state.review ? state : { ...state, review };
      }
      return state;
  }
}

/** Lines that anchor a reader's place: enough to be unlikely to repeat, few enough to survive a redraw nearby. */
const ANCHOR_LINES = 3;

/**
 * A reader scrolled back keeps looking at the same lines when output grows below them, also once the kept lines
 * are at their bound and old ones drop off the top: the lines that ended their view are found again in the new
 * text (searched from the end) and the offset is measured from there. Not found (the screen was redrawn), the
 * offset stays as it was.
 */
function keptPlace(before: string[], scroll: number, after: string[]): number {
  const end = before.length - scroll;
  const anchor = before.slice(Math.max(0, end - ANCHOR_LINES), end);
  const matches = (start: number) => anchor.every((line, i) => after[start + i] === line);
  const fit = (start: number) => clamp(after.length - (start + anchor.length), 1, Math.max(1, after.length - 1));
  if (anchor.length > 0 && anchor.some((line) => line.trim() !== '')) {
    // The lines move up as old ones drop off the top: search from where they were towards the top first, then
    // below, so that a repeated block (a rule, a prompt) is matched by its nearest copy, not the newest one.
    const was = end - anchor.length;
    for (let start = Math.min(was, after.length - anchor.length); start >= 0; start--) if (matches(start)) return fit(start);
    for (let start = was + 1; start <= after.length - anchor.length; start++) if (matches(start)) return fit(start);
  }
  // Not found (the screen was redrawn, or the view ended in blank lines): keep the offset, never jump to following.
  return clamp(scroll, 1, Math.max(1, after.length - 1));
}

/** Keeps the selection on the same session when the list reorders; picks the first when it is gone or unset. */
function withSelection(state: AppState, sessions: Session[]): AppState {
  const kept = sessions.some((session) => session.id === state.selectedId) ? state.selectedId : (sessions[0]?.id ?? null);
  return { ...state, sessions, selectedId: kept };
}

/** j/k, g/G on whichever list the current screen shows. */
function moveSelection(state: AppState, action: Extract<Action, { type: 'select/move' | 'select/edge' }>): AppState {
  const target = (length: number, current: number) =>
    action.type === 'select/edge' ? (action.edge === 'first' ? 0 : Math.max(0, length - 1)) : clamp(current + action.delta, 0, Math.max(0, length - 1));
  switch (state.screen) {
    case 'sessions': {
      const index = state.sessions.findIndex((session) => session.id === state.selectedId);
      const next = state.sessions[target(state.sessions.length, index)];
      if (!next || next.id === state.selectedId) return state;
      return { ...state, selectedId: next.id, output: { sessionId: null, lines: [], scroll: 0 } };
    }
    case 'policies':
      return { ...state, policies: { ...state.policies, selected: target(state.policies.list.length, state.policies.selected) } };
    case 'audit':
      return { ...state, audit: { ...state.audit, selected: target(state.audit.decisions.length, state.audit.selected) } };
    case 'search':
      return { ...state, search: { ...state.search, selected: target(state.search.hits.length, state.search.selected) } };
    case 'analytics':
      return state;
  }
}
