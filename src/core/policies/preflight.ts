import { AppError } from '../errors';
import type { InputPreflight } from '../sessions/terminal';
import { settlePreflight } from './outcome';
import type { PolicyService } from './service';

/**
 * Input preflight for agents without hooks: text and keys sent through CodePiper are decisions like tool calls
 * (tools terminal_input and terminal_keys). A deny rule refuses with 403, an ask rule with 409; input no rule speaks
 * of goes through, as it would without CodePiper. Each check is one audit row whose outcome is what happened to the
 * input: a check no rule matched is recorded as the allow it is, not as the default meant for tool calls.
 */
export function inputPreflight(policies: PolicyService): InputPreflight {
  return (record, tool, args) => {
    if (record.provider === 'claude-code') return; // its own hooks ask us about every tool call
    const decision = policies.decide(
      { sessionId: record.id, event: 'InputPreflight', tool, args, cwd: record.cwd, dangerousMode: record.dangerousMode },
      (decided) => settlePreflight(decided.decision, decided.matched !== null, new Date().toISOString()),
      // Only rules speak here: a default meant for tool calls must not lock the user out of their own terminal.
      (decided) =>
        decided.matched || decided.decision === 'allow' ? decided : { ...decided, decision: 'allow', reason: 'no policy rule matched; input goes through (the default action is for tool calls)' },
    );
    if (!decision.matched) return;
    if (decision.decision === 'deny') throw new AppError('INPUT_DENIED', `input refused by policy: ${decision.reason}`, { details: { auditId: decision.auditId } });
    if (decision.decision === 'ask') {
      throw new AppError('INPUT_NEEDS_APPROVAL', `input needs approval by policy: ${decision.reason}`, { details: { auditId: decision.auditId } });
    }
  };
}
