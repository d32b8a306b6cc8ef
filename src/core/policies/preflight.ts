import { AppError } from '../errors';
import type { InputPreflight } from '../sessions/terminal';
import type { PolicyService } from './service';

/**
 * Input preflight for agents without hooks: text and keys sent through CodePiper are decisions like tool calls
 * (tools terminal_input and terminal_keys). A deny rule refuses with 403, an ask rule with 409; input no rule speaks
 * of goes through, as it would without CodePiper.
 */
export function inputPreflight(policies: PolicyService): InputPreflight {
  return (record, tool, args) => {
    if (record.provider === 'claude-code') return; // its own hooks ask us about every tool call
    const decision = policies.decide({ sessionId: record.id, event: 'InputPreflight', tool, args, cwd: record.cwd, dangerousMode: record.dangerousMode });
    // Only rules speak here: a default meant for tool calls must not lock the user out of their own terminal.
    if (!decision.matched) return;
    if (decision.decision === 'deny') throw new AppError('INPUT_DENIED', `input refused by policy: ${decision.reason}`, { details: { auditId: decision.auditId } });
    if (decision.decision === 'ask') {
      throw new AppError('INPUT_NEEDS_APPROVAL', `input needs approval by policy: ${decision.reason}`, { details: { auditId: decision.auditId } });
    }
  };
}
