import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatOutcome } from '../../src/client/format';
import { migrations } from '../../src/core/db/migrations';
import { openDatabase } from '../../src/core/db/open';
import type { Decision } from '../../src/core/policies/engine';
import {
  matchPermissionRequest,
  settleByEvidence,
  settleByPerson,
  settleByPolicy,
  settleOnPermissionRequest,
  settlePreflight,
  type Settlement,
} from '../../src/core/policies/outcome';
import { PolicyService } from '../../src/core/policies/service';

const AT = '2026-12-04T10:00:00.000Z';

describe('outcomes, pure', () => {
  it('a policy answer the agent reads settles the question; one it does not read, or an ask, leaves it open', () => {
    expect(settleByPolicy('allow', true, false, AT)).toEqual({ outcome: 'allowed', by: 'policy', via: null, at: AT });
    expect(settleByPolicy('deny', true, false, AT)).toEqual({ outcome: 'denied', by: 'policy', via: null, at: AT });
    expect(settleByPolicy('ask', true, false, AT).outcome).toBe('pending');
    expect(settleByPolicy('ask', false, false, AT).outcome).toBe('pending');
    // Late: the hook had stopped waiting, so the agent never read it.
    expect(settleByPolicy('allow', true, true, AT)).toEqual({ outcome: 'timed_out', by: 'policy', via: null, at: AT });
    // Late but silent anyway (the default ask prints nothing): nothing was lost, the question is still open.
    expect(settleByPolicy('ask', false, true, AT).outcome).toBe('pending');
  });

  it('input preflight: typed unless a rule denies or holds it', () => {
    expect(settlePreflight('ask', false, AT).outcome).toBe('allowed');
    expect(settlePreflight('allow', true, AT).outcome).toBe('allowed');
    expect(settlePreflight('deny', true, AT).outcome).toBe('denied');
    expect(settlePreflight('ask', true, AT).outcome).toBe('denied');
  });

  it('matches a PermissionRequest to the PreToolUse of the same call', () => {
    const rows = [
      { id: 9, event: 'PreToolUse', toolUseId: 'toolu_b', askedAt: null },
      { id: 7, event: 'PreToolUse', toolUseId: 'toolu_a', askedAt: null },
    ];
    expect(matchPermissionRequest(rows, null)?.id).toBe(9);
    expect(matchPermissionRequest(rows, 'toolu_a')?.id).toBe(7);
    // An id no row has: the newest unshown PreToolUse still is the call.
    expect(matchPermissionRequest(rows, 'toolu_zz')?.id).toBe(9);
    // Shown already: a second PermissionRequest for it is another question.
    expect(matchPermissionRequest([{ id: 3, event: 'PreToolUse', toolUseId: 'toolu_c', askedAt: AT }], null)).toBeUndefined();
    expect(matchPermissionRequest([{ id: 3, event: 'PermissionRequest', toolUseId: null, askedAt: null }], null)).toBeUndefined();
    expect(matchPermissionRequest([], null)).toBeUndefined();
  });

  it('a PermissionRequest after a policy allow shows that answer never arrived', () => {
    const open: Settlement = { outcome: 'pending', by: null, via: null, at: null };
    expect(settleOnPermissionRequest({ outcome: 'allowed', by: 'policy' }, open, AT)).toEqual({ outcome: 'timed_out', by: 'policy', via: null, at: AT });
    expect(settleOnPermissionRequest({ outcome: 'pending', by: null }, open, AT)).toBeNull();
    // Its own answer, in time, decides.
    const allowed = settleByPolicy('allow', true, false, AT);
    expect(settleOnPermissionRequest({ outcome: 'timed_out', by: 'policy' }, allowed, AT)).toEqual(allowed);
  });

  it('later events: the tool ran, the turn ended, the session ended; a person only if the prompt showed', () => {
    expect(settleByEvidence('tool-ran', true, AT)).toEqual({ outcome: 'allowed', by: 'person', via: 'agent-ui', at: AT });
    expect(settleByEvidence('turn-ended', true, AT)).toEqual({ outcome: 'denied', by: 'person', via: 'agent-ui', at: AT });
    expect(settleByEvidence('tool-ran', false, AT)).toEqual({ outcome: 'allowed', by: 'agent', via: null, at: AT });
    expect(settleByEvidence('turn-ended', false, AT)).toEqual({ outcome: 'denied', by: 'agent', via: null, at: AT });
    expect(settleByEvidence('session-ended', true, AT)).toEqual({ outcome: 'session_ended', by: null, via: null, at: AT });
    expect(settleByPerson('approve', 'cli', AT)).toEqual({ outcome: 'allowed', by: 'person', via: 'cli', at: AT });
    expect(settleByPerson('deny', 'tui', AT)).toEqual({ outcome: 'denied', by: 'person', via: 'tui', at: AT });
  });

  it('says each outcome in words', () => {
    const row = (outcome: string | null, by: string | null = null, via: string | null = null, outcomeAt: string | null = null) => ({ at: AT, outcome, outcomeBy: by, outcomeVia: via, outcomeAt });
    expect(formatOutcome(row(null))).toBe('—');
    expect(formatOutcome(row('pending'))).toBe('waiting');
    expect(formatOutcome(row('allowed', 'policy'))).toBe('allowed by policy');
    expect(formatOutcome(row('denied', 'agent'))).toBe("denied by the agent's settings");
    expect(formatOutcome(row('allowed', 'person', 'cli', '2026-12-04T10:00:12.000Z'))).toBe('approved via cli after 12s');
    expect(formatOutcome(row('denied', 'person', 'agent-ui', '2026-12-04T10:00:03.000Z'))).toBe('denied in the agent after 3.0s');
    expect(formatOutcome(row('timed_out', 'policy'))).toBe('timed out');
    expect(formatOutcome(row('session_ended'))).toBe('unanswered: session ended');
  });
});

describe('the audit log in SQLite', () => {
  let dir: string;
  let db: Database.Database;
  let policies: PolicyService;
  const ask: Decision = { decision: 'ask', reason: 'no policy rule matched; the default is ask', matched: null };
  const pending: Settlement = { outcome: 'pending', by: null, via: null, at: null };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-audit-'));
    db = openDatabase(path.join(dir, 'codepiper.db'));
    policies = new PolicyService(db, { defaultAction: () => 'ask', sessionExists: () => true });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const question = (toolUseId: string | null, command = 'make deploy') => ({ sessionId: 's1', tool: 'Bash', args: { command }, decision: ask, settlement: pending, toolUseId });

  it('keeps one row per question and settles it from the tool call that follows', () => {
    const pre = policies.record({ ...question('toolu_1'), event: 'PreToolUse' });
    expect(policies.recordPermissionRequest({ ...question(null), event: 'PermissionRequest' })).toBe(pre);
    expect(policies.settleToolCall('s1', 'toolu_1', (asked) => settleByEvidence('tool-ran', asked, AT))).toBe(true);
    const { decisions, total } = policies.decisions({ limit: 10, offset: 0 });
    expect(total).toBe(1);
    expect(decisions[0]).toMatchObject({ event: 'PreToolUse', toolUseId: 'toolu_1', askedAt: expect.any(String), outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'agent-ui', outcomeAt: AT });
    // Settled once: a late second signal changes nothing.
    expect(policies.settleToolCall('s1', 'toolu_1', () => settleByEvidence('turn-ended', true, AT))).toBe(false);
  });

  it('a person answer settles the question the agent shows; a PermissionRequest with no PreToolUse is its own row', () => {
    policies.record({ ...question('toolu_1', 'ls'), event: 'PreToolUse' });
    const own = policies.recordPermissionRequest({ ...question(null, 'make other'), event: 'PermissionRequest' });
    expect(policies.settleByAnswer('s1', settleByPerson('deny', 'tui', AT))).toBe(own);
    const rows = policies.decisions({ limit: 10, offset: 0 }).decisions;
    expect(rows.map((row) => [row.event, row.args.command, row.outcome, row.outcomeVia])).toEqual([
      ['PermissionRequest', 'make other', 'denied', 'tui'],
      ['PreToolUse', 'ls', 'pending', null],
    ]);
    expect(policies.settleOpen('s1', () => settleByEvidence('session-ended', false, AT))).toBe(1);
    expect(policies.sessionsWithOpenQuestions()).toEqual([]);
  });

  it('rows written before migration 8 read back with an unknown outcome', () => {
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    for (const migration of migrations.slice(0, 6)) old.exec(migration.up);
    old.pragma('user_version = 6');
    old.prepare(`INSERT INTO policy_decisions (at, session_id, event, tool, args, decision, reason) VALUES (?, 's0', 'PermissionRequest', 'Bash', '{"command":"ls"}', 'ask', 'default')`).run(AT);
    old.close();
    const upgraded = openDatabase(file);
    try {
      const rows = new PolicyService(upgraded, { defaultAction: () => 'ask', sessionExists: () => true }).decisions({ limit: 10, offset: 0 }).decisions;
      expect(rows).toEqual([expect.objectContaining({ event: 'PermissionRequest', outcome: null, outcomeBy: null, outcomeVia: null, outcomeAt: null, toolUseId: null })]);
      expect(formatOutcome(rows[0]!)).toBe('—');
    } finally {
      upgraded.close();
    }
  });
});
