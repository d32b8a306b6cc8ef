import crypto from 'node:crypto';
import type { NotificationEvent, NotifyKind } from '../api/notify';
import type { Session } from '../api/sessions';
import type { CodepiperConfig, NotifyChannelConfig } from '../config';
import type { Delivery } from '../api/notify';
import { AppError } from '../errors';
import { EventBus, NOTIFICATIONS_TOPIC, SESSIONS_TOPIC } from '../events/bus';
import type { Logger } from '../log';
import { redact } from '../policies/redact';
import type { SessionState } from '../sessions/state';
import { createChannel, type ChannelDeps } from './channels';
import { desktopReach } from './channels/desktop';
import type { DeliveryLog } from './log';
import { channelWants, inQuietHours } from './rules';

/**
 * The channels when config.json names none: the TUI's banner, and the desktop where one can be reached (else it is
 * left out, not logged as unavailable at every event: a headless machine has no desktop to miss).
 */
export function defaultChannels(desktopReachable: boolean): NotifyChannelConfig[] {
  return [{ name: 'terminal', type: 'terminal' }, ...(desktopReachable ? [{ name: 'desktop', type: 'desktop' } as const] : [])];
}

/** A permission question still open, as the audit log holds it (its arguments already redacted there). */
export interface OpenQuestion {
  id: number;
  tool: string;
  args: Record<string, unknown>;
}

export interface NotifyEngineOptions {
  bus: EventBus;
  log: Logger;
  deliveries: DeliveryLog;
  /** The notifications settings as they are now (config.json, live). */
  settings: () => CodepiperConfig['notifications'];
  /** The sessions when the engine starts: their states are the baseline, not news. */
  sessions: () => Session[];
  /** The session's newest open permission question, if the audit log has one. */
  openQuestion: (sessionId: string) => OpenQuestion | undefined;
  /** The last non-blank line of the session's screen, or null; called for needs_input only. */
  lastLine: (sessionId: string) => Promise<string | null>;
  /** The --web listener's URL when it serves, else undefined. */
  webUrl: () => string | undefined;
  channelDeps: Omit<ChannelDeps, 'publishToTerminals'>;
  now?: () => Date;
}

/** Questions remembered as notified, so that the same one is never notified twice; the oldest are forgotten. */
const MAX_REMEMBERED_QUESTIONS = 1000;
const LAST_LINE_TIMEOUT_MS = 1500;

type QuestionKind = 'needs_permission' | 'needs_input';

/**
 * Turns the daemon's own session state changes (the bus, never the screens) into notification events, and gives each
 * to every channel whose rule wants it, once: a session that enters needs_permission or needs_input, finishes a turn
 * (running → idle: for Claude Code that is its Stop hook) or crashes. A question answered anywhere gets a `resolved`
 * follow-up for channels that list it. Deliveries run beside the daemon's work; each is a row of the delivery log.
 */
export class NotifyEngine {
  private readonly states = new Map<string, SessionState>();
  /** Per session, the question it waits on and the event that told of it. */
  private readonly open = new Map<string, { kind: QuestionKind; eventId: string }>();
  private readonly notifiedQuestions = new Set<string>();
  /** Events are made in the order their changes came, even when one waits for a screen line. */
  private queue: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly options: NotifyEngineOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Follows the sessions topic; the returned function stops it. */
  start(): () => void {
    for (const session of this.options.sessions()) this.states.set(session.id, session.state);
    const unsubscribe = this.options.bus.subscribe(SESSIONS_TOPIC, (session) => this.observe(session));
    return () => {
      // The database closes right after: a delivery still under way (a webhook's retries, a desktop notifier) finishes
      // without writing its row, and nothing new starts.
      this.stopped = true;
      unsubscribe();
    };
  }

  /** One session as it is now (every change of every session comes here). */
  observe(session: Session): void {
    const previous = this.states.get(session.id);
    if (previous === session.state) return;
    this.states.set(session.id, session.state);
    const open = this.open.get(session.id);
    if (open && open.kind !== session.state) {
      this.open.delete(session.id);
      this.enqueue(async () => this.event('resolved', session, { resolves: open.eventId, message: resolvedMessage(open.kind, session.state) }));
    }
    switch (session.state) {
      case 'needs_permission':
      case 'needs_input':
        this.question(session, session.state);
        break;
      case 'idle':
        if (previous === 'running') this.enqueue(async () => this.event('turn_finished', session, { message: 'finished its turn; ready for the next prompt' }));
        break;
      case 'crashed':
        this.enqueue(async () =>
          this.event('crashed', session, { message: `the agent ended unexpectedly${session.exitCode !== null ? ` (exit code ${session.exitCode})` : session.exitSignal !== null ? ` (signal ${session.exitSignal})` : ''}` }),
        );
        break;
      case 'stopped':
        this.states.delete(session.id);
        break;
      default:
        break;
    }
  }

  /**
   * A workflow's news (the workflow engine calls this): it needs approval, or it ended. Declared now so that the
   * event shape and the channels' rules are ready for it.
   */
  emitWorkflow(kind: 'workflow_needs_approval' | 'workflow_ended', workflow: { id: string; name: string; outcome?: string | null }, session?: Session): void {
    this.enqueue(async () => {
      const event = this.build(kind, session ?? null, {
        title: `workflow ${workflow.name} ${kind === 'workflow_ended' ? 'ended' : 'needs approval'}`,
        message: kind === 'workflow_ended' ? `outcome: ${workflow.outcome ?? 'unknown'}` : 'a step waits for your approval',
        workflow: { id: workflow.id, name: workflow.name, outcome: workflow.outcome ?? null },
      });
      this.dispatch(event);
    });
  }

  /** A test event to every configured channel (or the one named), rules and quiet hours aside; each delivery once done. */
  async test(channelName?: string): Promise<{ event: NotificationEvent; results: Delivery[] }> {
    const channels = this.channels();
    if (channelName !== undefined && !channels.some((channel) => channel.name === channelName)) {
      const names = channels.map((channel) => channel.name);
      throw new AppError('USAGE', `no notification channel "${channelName}"${names.length ? ` (channels: ${names.join(', ')})` : ' (none configured: notifications.channels in config.json)'}`);
    }
    const event = this.build('test', null, { title: 'CodePiper test notification', message: 'if you read this, notifications reach you here' });
    const rows = await Promise.all(this.dispatch(event, { test: true, only: channelName }));
    return { event, results: rows.flatMap((id) => (id === undefined ? [] : [this.options.deliveries.get(id)!])) };
  }

  /** Waits for every delivery under way (the daemon's shutdown, and tests). */
  async settled(): Promise<void> {
    await this.queue;
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private question(session: Session, kind: QuestionKind): void {
    const open = kind === 'needs_permission' ? this.options.openQuestion(session.id) : undefined;
    // The same open question is one event, however often the state goes back to it.
    const key = open ? `question:${open.id}` : `${session.id}:${kind}:${session.stateSince}`;
    if (this.notifiedQuestions.has(key)) return;
    this.remember(key);
    const eventId = crypto.randomUUID();
    this.open.set(session.id, { kind, eventId });
    this.enqueue(async () => {
      if (kind === 'needs_permission') {
        const question = open ? { tool: open.tool, summary: summarizeArgs(open.args) } : null;
        this.event(kind, session, { id: eventId, question, message: question ? `${question.tool}: ${question.summary}` : 'asks for permission' });
      } else {
        const lastLine = await withTimeout(this.options.lastLine(session.id).catch(() => null), LAST_LINE_TIMEOUT_MS, null);
        this.event(kind, session, { id: eventId, lastLine, message: lastLine ?? 'waits for your answer' });
      }
    });
  }

  private remember(key: string): void {
    this.notifiedQuestions.add(key);
    if (this.notifiedQuestions.size > MAX_REMEMBERED_QUESTIONS) this.notifiedQuestions.delete(this.notifiedQuestions.values().next().value!);
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : step())).catch((error: unknown) => this.options.log.error('making a notification failed', error));
  }

  private event(kind: NotifyKind, session: Session, parts: Partial<NotificationEvent> & { message: string }): void {
    this.dispatch(this.build(kind, session, { title: titleOf(kind, session), ...parts }));
  }

  private build(kind: NotifyKind, session: Session | null, parts: Partial<NotificationEvent> & { title: string; message: string }): NotificationEvent {
    const web = this.options.webUrl();
    return {
      id: parts.id ?? crypto.randomUUID(),
      kind,
      at: this.now().toISOString(),
      session: session && { id: session.id, name: session.name, provider: session.provider },
      title: parts.title,
      message: oneLine(parts.message),
      question: parts.question ?? null,
      lastLine: parts.lastLine ?? null,
      link: web && session ? `${web.replace(/\/+$/, '')}/#/sessions/${session.id}` : null,
      resolves: parts.resolves ?? null,
      workflow: parts.workflow ?? null,
    };
  }

  private channels(): NotifyChannelConfig[] {
    return this.options.settings()?.channels ?? defaultChannels(desktopReach(this.options.channelDeps.env).via !== null);
  }

  /** Gives the event to each channel that wants it; the delivery log row id of each delivery started. */
  private dispatch(event: NotificationEvent, options: { test?: boolean; only?: string | undefined } = {}): Array<Promise<number | undefined>> {
    const { deliveries, log } = this.options;
    if (this.stopped) return [];
    const settings = this.options.settings();
    const quiet = !options.test && inQuietHours(settings?.quietHours, this.now());
    const started: Array<Promise<number | undefined>> = [];
    let suppressed = 0;
    for (const channel of this.channels()) {
      if (options.only !== undefined ? channel.name !== options.only : options.test ? channel.enabled === false : !channelWants(channel, event)) continue;
      if (quiet) {
        if (deliveries.open(channel, event, 'suppressed', 'quiet hours') !== undefined) suppressed++;
        continue;
      }
      const row = deliveries.open(channel, event, 'pending');
      if (row === undefined) continue;
      started.push(this.deliver(channel, event, row));
    }
    if (suppressed) log.info(`notification ${event.kind}${event.session ? ` of session ${event.session.id}` : ''} not sent to ${suppressed} channel(s): quiet hours (${settings!.quietHours!.start}-${settings!.quietHours!.end})`);
    return started;
  }

  private deliver(config: NotifyChannelConfig, event: NotificationEvent, row: number): Promise<number> {
    const { deliveries, log, bus } = this.options;
    const channel = createChannel(config, {
      ...this.options.channelDeps,
      publishToTerminals: (message) => {
        const followers = bus.hasSubscribers(NOTIFICATIONS_TOPIC) ? 1 : 0;
        bus.publish(NOTIFICATIONS_TOPIC, message);
        return followers;
      },
    });
    const record = (change: Parameters<typeof deliveries.update>[1]) => {
      if (!this.stopped) deliveries.update(row, change);
    };
    const done = channel
      .deliver(event, record)
      .catch((error: unknown) => ({ outcome: 'failed' as const, attempts: 1, error: `the channel failed: ${(error as Error).message}`, detail: {} }))
      .then((result) => {
        record(result);
        if (result.outcome === 'failed') log.warn(`notification ${event.kind} to channel ${config.name} failed after ${result.attempts} attempt(s): ${result.error}`);
        return row;
      });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }
}

function titleOf(kind: NotifyKind, session: Session): string {
  const name = session.name ?? session.id.slice(0, 8);
  switch (kind) {
    case 'needs_permission':
      return `${name} needs permission`;
    case 'needs_input':
      return `${name} is waiting for you`;
    case 'turn_finished':
      return `${name} finished its turn`;
    case 'crashed':
      return `${name} crashed`;
    case 'resolved':
      return `${name}: answered`;
    default:
      return name;
  }
}

function resolvedMessage(kind: QuestionKind, now: SessionState): string {
  const what = kind === 'needs_permission' ? 'the permission question' : 'the question';
  return now === 'stopped' || now === 'crashed' ? `${what} closed: the session ended` : `${what} was answered`;
}

const MAX_SUMMARY = 200;

/** A tool's arguments in one short line: the command or the file when it has one, else compact JSON; secrets redacted (the audit log's redaction). */
export function summarizeArgs(args: Record<string, unknown>): string {
  const safe = redact(args);
  const main = ['command', 'file_path', 'path', 'url', 'pattern', 'query'].map((key) => safe[key]).find((value) => typeof value === 'string');
  const text = typeof main === 'string' ? main : JSON.stringify(safe);
  return oneLine(text, MAX_SUMMARY);
}

function oneLine(text: string, max = 500): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
