import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError } from '../errors';
import { decide, effectiveRules, type Decision, type DecisionRequest, type EffectiveRule, type ScopedPolicy } from './engine';
import { matchPermissionRequest, settleByPolicy, settleOnPermissionRequest, type AuditOutcome, type OutcomeBy, type OutcomeVia, type QuestionRow, type Settlement } from './outcome';
import { redact } from './redact';
import type { Policy, PolicyInput, PolicySet, PolicyUpdate, Rule } from './schema';

export interface PolicySetInput {
  name: string;
  description?: string | null | undefined;
  isDefault?: boolean | undefined;
  policyIds?: string[] | undefined;
}

export interface AuditEntry {
  id: number;
  at: string;
  sessionId: string | null;
  event: string;
  policyId: string | null;
  policyName: string | null;
  ruleIndex: number | null;
  tool: string;
  args: Record<string, unknown>;
  decision: 'allow' | 'deny' | 'ask';
  reason: string;
  toolUseId: string | null;
  askedAt: string | null;
  /** null: recorded before outcomes were kept. */
  outcome: AuditOutcome | null;
  outcomeBy: OutcomeBy | null;
  outcomeVia: OutcomeVia | null;
  outcomeAt: string | null;
}

/** One decision to record, with what is known of its outcome when it is made. */
export interface AuditRecord {
  sessionId: string | null;
  event: string;
  tool: string;
  args: Record<string, unknown>;
  decision: Decision;
  settlement: Settlement;
  toolUseId?: string | null | undefined;
  askedAt?: string | null | undefined;
}

interface PolicyRow {
  id: string;
  name: string;
  description: string | null;
  enabled: number;
  priority: number;
  session_id: string | null;
  rules: string;
  created_at: string;
  updated_at: string;
}

interface SetRow {
  id: string;
  name: string;
  description: string | null;
  is_default: number;
  created_at: string;
  updated_at: string;
}

/** Policies, policy sets, their evaluation for a session, and the audit log. SQLite through prepared statements. */
export class PolicyService {
  private readonly sql;
  /** Effective rules per session (null: global only), dropped on every write: decisions read, changes are rare. */
  private readonly effectiveCache = new Map<string | null, EffectiveRule[]>();

  constructor(
    private readonly db: Database.Database,
    private readonly options: { defaultAction: () => 'ask' | 'deny'; sessionExists: (id: string) => boolean },
  ) {
    this.sql = {
      allPolicies: db.prepare('SELECT * FROM policies ORDER BY priority DESC, created_at, id'),
      policy: db.prepare('SELECT * FROM policies WHERE id = ?'),
      policyByName: db.prepare('SELECT * FROM policies WHERE name = ?'),
      insertPolicy: db.prepare(`INSERT INTO policies (id, name, description, enabled, priority, session_id, rules, created_at, updated_at)
        VALUES (@id, @name, @description, @enabled, @priority, @session_id, @rules, @at, @at)`),
      updatePolicy: db.prepare(`UPDATE policies SET name = @name, description = @description, enabled = @enabled, priority = @priority,
        session_id = @session_id, rules = @rules, updated_at = @at WHERE id = @id`),
      deletePolicy: db.prepare('DELETE FROM policies WHERE id = ?'),
      allSets: db.prepare('SELECT * FROM policy_sets ORDER BY name'),
      set: db.prepare('SELECT * FROM policy_sets WHERE id = ?'),
      setByName: db.prepare('SELECT * FROM policy_sets WHERE name = ?'),
      defaultSet: db.prepare('SELECT * FROM policy_sets WHERE is_default = 1'),
      insertSet: db.prepare('INSERT INTO policy_sets (id, name, description, is_default, created_at, updated_at) VALUES (@id, @name, @description, @is_default, @at, @at)'),
      updateSet: db.prepare('UPDATE policy_sets SET name = @name, description = @description, is_default = @is_default, updated_at = @at WHERE id = @id'),
      clearDefault: db.prepare('UPDATE policy_sets SET is_default = 0 WHERE is_default = 1 AND id != ?'),
      deleteSet: db.prepare('DELETE FROM policy_sets WHERE id = ?'),
      members: db.prepare('SELECT policy_id FROM policy_set_members WHERE set_id = ? ORDER BY added_at, policy_id'),
      addMember: db.prepare('INSERT OR IGNORE INTO policy_set_members (set_id, policy_id, added_at) VALUES (?, ?, ?)'),
      removeMember: db.prepare('DELETE FROM policy_set_members WHERE set_id = ? AND policy_id = ?'),
      clearMembers: db.prepare('DELETE FROM policy_set_members WHERE set_id = ?'),
      sessionSets: db.prepare(`SELECT s.* FROM policy_sets s JOIN session_policy_sets l ON l.set_id = s.id WHERE l.session_id = ? ORDER BY l.added_at, s.name`),
      attachSet: db.prepare('INSERT OR IGNORE INTO session_policy_sets (session_id, set_id, added_at) VALUES (?, ?, ?)'),
      detachSet: db.prepare('DELETE FROM session_policy_sets WHERE session_id = ? AND set_id = ?'),
      setWorkspaces: db.prepare(`SELECT w.name FROM workspaces w JOIN workspace_policy_sets l ON l.workspace_id = w.id WHERE l.policy_set_id = ? ORDER BY w.name`),
      audit: db.prepare(`INSERT INTO policy_decisions (at, session_id, event, policy_id, policy_name, rule_index, tool, args, decision, reason,
          tool_use_id, asked_at, outcome, outcome_by, outcome_via, outcome_at)
        VALUES (@at, @session_id, @event, @policy_id, @policy_name, @rule_index, @tool, @args, @decision, @reason,
          @tool_use_id, @asked_at, @outcome, @outcome_by, @outcome_via, @outcome_at)`),
      // The session's latest rows only (a PermissionRequest follows its PreToolUse at once): bounded, whatever the log's size.
      recentSameCall: db.prepare(`SELECT id, event, tool_use_id AS toolUseId, asked_at AS askedAt, outcome, outcome_by AS outcomeBy FROM policy_decisions
        WHERE session_id = @session AND id >= coalesce((SELECT min(id) FROM (SELECT id FROM policy_decisions WHERE session_id = @session ORDER BY id DESC LIMIT 16)), 0)
          AND tool = @tool AND args = @args
        ORDER BY id DESC`),
      asked: db.prepare('UPDATE policy_decisions SET asked_at = @at WHERE id = @id'),
      settle: db.prepare('UPDATE policy_decisions SET outcome = @outcome, outcome_by = @by, outcome_via = @via, outcome_at = @at WHERE id = @id'),
      // Open questions are read through the partial index policy_decisions_pending: it holds only those.
      pendingByToolUse: db.prepare(`SELECT id, asked_at AS askedAt FROM policy_decisions WHERE session_id = ? AND outcome = 'pending' AND tool_use_id = ?`),
      pendingOfSession: db.prepare(`SELECT id, asked_at AS askedAt FROM policy_decisions WHERE session_id = ? AND outcome = 'pending' ORDER BY id DESC`),
      pendingSessions: db.prepare(`SELECT DISTINCT session_id AS sessionId FROM policy_decisions WHERE outcome = 'pending' AND session_id IS NOT NULL`),
      decisions: db.prepare(`SELECT * FROM policy_decisions WHERE (@session IS NULL OR session_id = @session) ORDER BY id DESC LIMIT @limit OFFSET @offset`),
      countDecisions: db.prepare('SELECT count(*) AS n FROM policy_decisions WHERE (@session IS NULL OR session_id = @session)'),
    };
  }

  // ---- policies ----

  listPolicies(filter: { sessionId?: string | undefined } = {}): Policy[] {
    const all = (this.sql.allPolicies.all() as PolicyRow[]).map(policyFromRow);
    return filter.sessionId === undefined ? all : all.filter((policy) => policy.sessionId === filter.sessionId);
  }

  /** By id or by name. */
  getPolicy(ref: string): Policy {
    const row = (this.sql.policy.get(ref) ?? this.sql.policyByName.get(ref)) as PolicyRow | undefined;
    if (!row) throw new AppError('POLICY_NOT_FOUND', `no policy "${ref}" (see codepiper policy list)`);
    return policyFromRow(row);
  }

  createPolicy(input: PolicyInput): Policy {
    this.checkSession(input.sessionId);
    const id = `pol_${crypto.randomBytes(5).toString('hex')}`;
    this.write(() => this.sql.insertPolicy.run(policyParams(id, input)), input.name);
    return this.getPolicy(id);
  }

  updatePolicy(ref: string, changes: PolicyUpdate): Policy {
    const current = this.getPolicy(ref);
    const next: PolicyInput = {
      name: changes.name ?? current.name,
      description: (changes.description === undefined ? current.description : changes.description) ?? undefined,
      enabled: changes.enabled ?? current.enabled,
      priority: changes.priority ?? current.priority,
      sessionId: changes.sessionId === undefined ? current.sessionId : changes.sessionId,
      rules: changes.rules ?? current.rules,
    };
    this.checkSession(next.sessionId);
    this.write(() => this.sql.updatePolicy.run(policyParams(current.id, next)), next.name);
    return this.getPolicy(current.id);
  }

  deletePolicy(ref: string): Policy {
    const policy = this.getPolicy(ref);
    this.effectiveCache.clear();
    this.sql.deletePolicy.run(policy.id);
    return policy;
  }

  // ---- policy sets ----

  listSets(): PolicySet[] {
    return (this.sql.allSets.all() as SetRow[]).map((row) => this.setFromRow(row));
  }

  getSet(ref: string): PolicySet {
    const row = (this.sql.set.get(ref) ?? this.sql.setByName.get(ref)) as SetRow | undefined;
    if (!row) throw new AppError('POLICY_SET_NOT_FOUND', `no policy set "${ref}" (see codepiper policy-set list)`);
    return this.setFromRow(row);
  }

  createSet(input: PolicySetInput): PolicySet {
    const id = `set_${crypto.randomBytes(5).toString('hex')}`;
    const policyIds = (input.policyIds ?? []).map((ref) => this.getPolicy(ref).id);
    const at = now();
    this.write(
      () =>
        this.db.transaction(() => {
          if (input.isDefault) this.sql.clearDefault.run(id);
          this.sql.insertSet.run({ id, name: input.name, description: input.description ?? null, is_default: input.isDefault ? 1 : 0, at });
          for (const policyId of policyIds) this.sql.addMember.run(id, policyId, at);
        })(),
      input.name,
    );
    return this.getSet(id);
  }

  updateSet(ref: string, changes: Partial<PolicySetInput>): PolicySet {
    const current = this.getSet(ref);
    const policyIds = changes.policyIds?.map((policyRef) => this.getPolicy(policyRef).id);
    const isDefault = changes.isDefault ?? current.isDefault;
    const at = now();
    const name = changes.name ?? current.name;
    this.write(
      () =>
        this.db.transaction(() => {
          if (isDefault) this.sql.clearDefault.run(current.id);
          const description = changes.description === undefined ? current.description : changes.description;
          this.sql.updateSet.run({ id: current.id, name, description, is_default: isDefault ? 1 : 0, at });
          if (policyIds) {
            this.sql.clearMembers.run(current.id);
            for (const policyId of policyIds) this.sql.addMember.run(current.id, policyId, at);
          }
        })(),
      name,
    );
    return this.getSet(current.id);
  }

  /**
   * Deletes a set no workspace uses: a workspace that names it would otherwise start sessions without the rules it
   * was set up to give them, silently. Sessions it is applied to lose it, as before.
   */
  deleteSet(ref: string): PolicySet {
    const set = this.getSet(ref);
    const workspaces = (this.sql.setWorkspaces.all(set.id) as Array<{ name: string }>).map((row) => row.name);
    if (workspaces.length) {
      throw new AppError(
        'SET_IN_USE',
        `policy set "${set.name}" is used by workspace${workspaces.length === 1 ? '' : 's'} ${workspaces.join(', ')}; ` +
          `remove it from ${workspaces.length === 1 ? 'it' : 'them'} first (codepiper workspace update <name> --policy-set ...)`,
        { details: { workspaces } },
      );
    }
    this.effectiveCache.clear();
    this.sql.deleteSet.run(set.id);
    return set;
  }

  addToSet(setRef: string, policyRef: string): PolicySet {
    const set = this.getSet(setRef);
    this.effectiveCache.clear();
    this.sql.addMember.run(set.id, this.getPolicy(policyRef).id, now());
    return this.getSet(set.id);
  }

  removeFromSet(setRef: string, policyRef: string): PolicySet {
    const set = this.getSet(setRef);
    const policy = this.getPolicy(policyRef);
    this.effectiveCache.clear();
    if (this.sql.removeMember.run(set.id, policy.id).changes === 0) {
      throw new AppError('POLICY_NOT_FOUND', `policy "${policy.name}" is not in set "${set.name}"`);
    }
    return this.getSet(set.id);
  }

  // ---- sessions ----

  sessionSets(sessionId: string): PolicySet[] {
    return (this.sql.sessionSets.all(sessionId) as SetRow[]).map((row) => this.setFromRow(row));
  }

  attachSet(sessionId: string, setRef: string): PolicySet[] {
    this.effectiveCache.clear();
    this.sql.attachSet.run(sessionId, this.getSet(setRef).id, now());
    return this.sessionSets(sessionId);
  }

  detachSet(sessionId: string, setRef: string): PolicySet[] {
    const set = this.getSet(setRef);
    this.effectiveCache.clear();
    if (this.sql.detachSet.run(sessionId, set.id).changes === 0) {
      throw new AppError('POLICY_SET_NOT_FOUND', `policy set "${set.name}" is not applied to session ${sessionId}`);
    }
    return this.sessionSets(sessionId);
  }

  /** A new session gets the default set, if there is one. */
  applyDefaultSet(sessionId: string): void {
    const row = this.sql.defaultSet.get() as SetRow | undefined;
    this.effectiveCache.clear();
    if (row) this.sql.attachSet.run(sessionId, row.id, now());
  }

  /** The session's own policy (the one named session:<id>), created on first write. */
  sessionPolicy(sessionId: string): Policy | null {
    return this.listPolicies({ sessionId }).find((policy) => policy.name === sessionPolicyName(sessionId)) ?? null;
  }

  putSessionPolicy(sessionId: string, input: { rules: Rule[]; enabled?: boolean | undefined; priority?: number | undefined }): Policy {
    const existing = this.sessionPolicy(sessionId);
    if (existing) return this.updatePolicy(existing.id, input);
    return this.createPolicy({ name: sessionPolicyName(sessionId), enabled: input.enabled ?? true, priority: input.priority ?? 0, sessionId, rules: input.rules });
  }

  /** Every rule that applies to the session, in the order they are tried. */
  effective(sessionId: string | null): EffectiveRule[] {
    let rules = this.effectiveCache.get(sessionId);
    if (!rules) {
      rules = this.computeEffective(sessionId);
      if (this.effectiveCache.size > 1000) this.effectiveCache.clear();
      this.effectiveCache.set(sessionId, rules);
    }
    return rules;
  }

  private computeEffective(sessionId: string | null): EffectiveRule[] {
    const all = this.listPolicies();
    const scoped: ScopedPolicy[] = [];
    for (const policy of all) {
      if (policy.sessionId === null) scoped.push({ policy, origin: { kind: 'global' } });
      else if (policy.sessionId === sessionId) scoped.push({ policy, origin: { kind: 'session' } });
    }
    if (sessionId) {
      const byId = new Map(all.map((policy) => [policy.id, policy]));
      for (const set of this.sessionSets(sessionId)) {
        for (const policyId of set.policyIds) {
          const policy = byId.get(policyId);
          // A set may hold another session's policy; it applies only to that session.
          if (policy && (policy.sessionId === null || policy.sessionId === sessionId)) scoped.push({ policy, origin: { kind: 'set', setId: set.id, setName: set.name } });
        }
      }
    }
    return effectiveRules(scoped);
  }

  // ---- decisions ----

  /**
   * Decides a request for a session, without recording it. A session in dangerous mode was started to skip permission
   * checks: what no rule speaks of is allowed (and the audit says why), while an explicit deny or ask still holds.
   */
  evaluate(request: DecisionRequest & { sessionId: string | null; dangerousMode?: boolean | undefined }): Decision {
    const decision = decide(this.effective(request.sessionId), request, this.options.defaultAction());
    if (request.dangerousMode && decision.matched === null) {
      return { decision: 'allow', reason: 'dangerous mode: the session was started to skip permission checks', matched: null };
    }
    return decision;
  }

  /** Records a decision in the audit log (arguments redacted), with its outcome as far as it is known; its row id. */
  record(entry: AuditRecord): number {
    const { decision, settlement } = entry;
    const info = this.sql.audit.run({
      at: now(),
      session_id: entry.sessionId,
      event: entry.event,
      policy_id: decision.matched?.policyId ?? null,
      policy_name: decision.matched?.policyName ?? null,
      rule_index: decision.matched?.ruleIndex ?? null,
      tool: entry.tool,
      args: redactedArgs(entry.args),
      decision: decision.decision,
      reason: decision.reason,
      tool_use_id: entry.toolUseId ?? null,
      asked_at: entry.askedAt ?? null,
      outcome: settlement.outcome,
      outcome_by: settlement.by,
      outcome_via: settlement.via,
      outcome_at: settlement.at,
    });
    return Number(info.lastInsertRowid);
  }

  /**
   * Decides and records in one step (input preflight: the check is the whole story): `adjust` says what the caller
   * makes of the decision, `settle` its outcome (by default: allow and deny settled by policy, ask left open).
   */
  decide(
    request: DecisionRequest & { sessionId: string | null; event: string; dangerousMode?: boolean },
    settle: (decision: Decision) => Settlement = (decision) => settleByPolicy(decision.decision, true, false, now()),
    adjust: (decision: Decision) => Decision = (decision) => decision,
  ): Decision & { auditId: number } {
    const decision = adjust(this.evaluate(request));
    const auditId = this.record({ sessionId: request.sessionId, event: request.event, tool: request.tool, args: request.args, decision, settlement: settle(decision) });
    return { ...decision, auditId };
  }

  /**
   * A PermissionRequest: the agent is about to show its prompt for a call. It belongs to the PreToolUse row of the same
   * call (one row per question): that row is marked as shown to the person, and settled anew when this answer decides
   * or shows the earlier one never arrived. Without such a row it is recorded as a question of its own.
   */
  recordPermissionRequest(entry: AuditRecord): number {
    const at = now();
    const candidates = this.sql.recentSameCall.all({ session: entry.sessionId, tool: entry.tool, args: redactedArgs(entry.args) }) as Array<
      QuestionRow & { outcome: AuditOutcome | null; outcomeBy: OutcomeBy | null }
    >;
    const row = matchPermissionRequest(candidates, entry.toolUseId ?? null);
    if (!row) return this.record({ ...entry, askedAt: at });
    this.db.transaction(() => {
      this.sql.asked.run({ id: row.id, at });
      const next = settleOnPermissionRequest({ outcome: row.outcome, by: row.outcomeBy }, entry.settlement, at);
      if (next) this.sql.settle.run({ id: row.id, ...next });
    })();
    return row.id;
  }

  /** Settles the open question of a tool call (by its tool_use_id); false when there is none. */
  settleToolCall(sessionId: string, toolUseId: string, settle: (asked: boolean) => Settlement): boolean {
    const rows = this.sql.pendingByToolUse.all(sessionId, toolUseId) as Array<{ id: number; askedAt: string | null }>;
    for (const row of rows) this.sql.settle.run({ id: row.id, ...settle(row.askedAt !== null) });
    return rows.length > 0;
  }

  /** Settles every open question of a session (the turn or the session ended); how many. */
  settleOpen(sessionId: string, settle: (asked: boolean) => Settlement): number {
    const rows = this.sql.pendingOfSession.all(sessionId) as Array<{ id: number; askedAt: string | null }>;
    if (rows.length === 0) return 0;
    this.db.transaction(() => {
      for (const row of rows) this.sql.settle.run({ id: row.id, ...settle(row.askedAt !== null) });
    })();
    return rows.length;
  }

  /**
   * A person answered the session's permission question through CodePiper: it settles the newest open question, the
   * one the agent shows (preferring one its PermissionRequest said was shown). The row id, or null when none is open
   * (an agent without hooks: its questions have no row).
   */
  settleByAnswer(sessionId: string, settlement: Settlement): number | null {
    const rows = this.sql.pendingOfSession.all(sessionId) as Array<{ id: number; askedAt: string | null }>;
    const row = rows.find((candidate) => candidate.askedAt !== null) ?? rows[0];
    if (!row) return null;
    this.sql.settle.run({ id: row.id, ...settlement });
    return row.id;
  }

  /** Sessions with open questions, for settling those whose session ended while no daemon watched. */
  sessionsWithOpenQuestions(): string[] {
    return (this.sql.pendingSessions.all() as Array<{ sessionId: string }>).map((row) => row.sessionId);
  }

  decisions(options: { sessionId?: string | undefined; limit: number; offset: number }): { decisions: AuditEntry[]; total: number } {
    const params = { session: options.sessionId ?? null, limit: options.limit, offset: options.offset };
    const rows = this.sql.decisions.all(params) as Array<Record<string, unknown>>;
    return {
      total: (this.sql.countDecisions.get(params) as { n: number }).n,
      decisions: rows.map((row) => ({
        id: row.id as number,
        at: row.at as string,
        sessionId: row.session_id as string | null,
        event: row.event as string,
        policyId: row.policy_id as string | null,
        policyName: row.policy_name as string | null,
        ruleIndex: row.rule_index as number | null,
        tool: row.tool as string,
        args: JSON.parse(row.args as string) as Record<string, unknown>,
        decision: row.decision as AuditEntry['decision'],
        reason: row.reason as string,
        toolUseId: row.tool_use_id as string | null,
        askedAt: row.asked_at as string | null,
        outcome: row.outcome as AuditOutcome | null,
        outcomeBy: row.outcome_by as OutcomeBy | null,
        outcomeVia: row.outcome_via as OutcomeVia | null,
        outcomeAt: row.outcome_at as string | null,
      })),
    };
  }

  // ---- internals ----

  private setFromRow(row: SetRow): PolicySet {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      isDefault: row.is_default === 1,
      policyIds: (this.sql.members.all(row.id) as Array<{ policy_id: string }>).map((member) => member.policy_id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private checkSession(sessionId: string | null): void {
    if (sessionId !== null && !this.options.sessionExists(sessionId)) throw new AppError('SESSION_NOT_FOUND', `no session "${sessionId}"`);
  }

  /** Runs a write; a duplicate name becomes a clear conflict instead of a constraint error. */
  private write(action: () => unknown, name: string): void {
    this.effectiveCache.clear();
    try {
      action();
    } catch (error) {
      if (/UNIQUE constraint failed: policies\.name|UNIQUE constraint failed: policy_sets\.name/.test((error as Error).message)) {
        throw new AppError('NAME_TAKEN', `the name "${name}" is already used`);
      }
      throw error;
    }
  }
}

export function sessionPolicyName(sessionId: string): string {
  return `session:${sessionId}`;
}

function policyFromRow(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: row.enabled === 1,
    priority: row.priority,
    sessionId: row.session_id,
    rules: JSON.parse(row.rules) as Rule[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function policyParams(id: string, input: PolicyInput) {
  return {
    id,
    name: input.name,
    description: input.description ?? null,
    enabled: input.enabled ? 1 : 0,
    priority: input.priority,
    session_id: input.sessionId,
    rules: JSON.stringify(input.rules),
    at: now(),
  };
}

function redactedArgs(args: Record<string, unknown>): string {
  return JSON.stringify(redact(args));
}

function now(): string {
  return new Date().toISOString();
}
