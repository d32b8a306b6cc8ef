import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { CodepiperConfig } from '../config';
import { AppError } from '../errors';
import type { EventBus } from '../events/bus';
import type { Logger } from '../log';
import type { PolicyService } from '../policies/service';
import type { Runner } from '../runner/runner';
import type { LiveSessions } from '../sessions/live';
import type { Session } from '../api/sessions';
import { NotifyEngine } from './engine';
import { DeliveryLog } from './log';

/** The notifications' own secrets (the webhook key), beside the daemon's secrets.json and like it 0600. */
export const NOTIFY_SECRETS_FILE = 'notify-secrets.json';

export interface NotifyService {
  engine: NotifyEngine;
  deliveries: DeliveryLog;
  /** Where the --web listener serves, once it does (the daemon tells): links point there. */
  setWebUrl(url: string | undefined): void;
  close(): void;
}

export function createNotify(options: {
  db: Database.Database;
  bus: EventBus;
  log: Logger;
  home: string;
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  sessions: () => Session[];
  policies: PolicyService;
  runner: Runner;
  lives: LiveSessions;
}): NotifyService {
  const deliveries = new DeliveryLog(options.db);
  let webUrl: string | undefined;
  let secret: string | undefined;
  const engine = new NotifyEngine({
    bus: options.bus,
    log: options.log,
    deliveries,
    settings: () => options.config.notifications,
    sessions: options.sessions,
    openQuestion: (sessionId) => {
      const [newest] = options.policies.decisions({ sessionId, limit: 1, offset: 0 }).decisions;
      return newest && newest.outcome === 'pending' ? { id: newest.id, tool: newest.tool, args: newest.args } : undefined;
    },
    lastLine: async (sessionId) => {
      const live = options.lives.get(sessionId);
      if (!live) return null;
      const screen = await options.runner.capture(live.terminal, { ansi: false });
      return screen.split('\n').map((line) => line.trim()).filter(Boolean).at(-1) ?? null;
    },
    webUrl: () => webUrl,
    channelDeps: {
      env: options.env,
      log: options.log,
      defaultWebhookSecret: () => (secret ??= loadOrCreateWebhookSecret(path.join(options.home, NOTIFY_SECRETS_FILE))),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
    },
  });
  const stop = engine.start();
  return {
    engine,
    deliveries,
    setWebUrl: (url) => {
      webUrl = url;
    },
    close: stop,
  };
}

/** The generated webhook key: read, or made once and written atomically, readable by its owner only. */
export function loadOrCreateWebhookSecret(file: string): string {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { webhookSecret?: unknown };
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    if (typeof value.webhookSecret === 'string' && value.webhookSecret.length >= 16) return value.webhookSecret;
    throw new AppError('CONFIG_INVALID', `${file} has no usable webhookSecret; remove the file to get a new one`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof AppError) throw error;
      throw new AppError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const webhookSecret = crypto.randomBytes(32).toString('base64url');
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, JSON.stringify({ webhookSecret }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  fs.renameSync(temporary, file);
  return webhookSecret;
}
