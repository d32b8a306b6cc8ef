import { Box, Text } from 'ink';
import React from 'react';
import { clip, formatOutcome, formatShortTime, safe } from '../format';
import type { AppState } from '../state';
import { useColour } from '../theme';

const DECISION_COLOUR = { allow: 'green', deny: 'red', ask: 'yellow' } as const;
/** "approved in the agent after 12s" fits; longer outcomes are clipped (the selected row's line below has it all). */
const OUTCOME_WIDTH = 30;

/** The latest policy decisions, newest first, optionally of one session; the selected one's arguments below. */
export function AuditScreen({ state, height }: { state: AppState; height: number }): React.JSX.Element {
  const colour = useColour();
  const { decisions, total, sessionFilter, selected, loaded } = state.audit;
  const width = state.size.columns;
  const rows = Math.max(1, height - 3);
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, decisions.length - rows));
  const current = decisions[selected];
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>{sessionFilter ? `decisions of session ${safe(sessionFilter)}` : 'all decisions'}</Text>
        <Text dimColor>{`  ${decisions.length} of ${total} shown · / filters by session, s the selected one's, esc all`}</Text>
      </Text>
      <Text dimColor wrap="truncate-end">{`  ${'TIME'.padEnd(12)} ${'SESSION'.padEnd(10)} ${'TOOL'.padEnd(12)} ${'DECISION'.padEnd(8)} ${'OUTCOME'.padEnd(OUTCOME_WIDTH)} POLICY / REASON`}</Text>
      {!loaded ? <Text dimColor>  loading…</Text> : decisions.length === 0 ? <Text dimColor>  no decisions recorded yet</Text> : null}
      {decisions.slice(first, first + rows).map((decision, index) => {
        const isSelected = first + index === selected;
        return (
          <Text key={decision.id} inverse={isSelected} wrap="truncate-end">
            {`${isSelected ? '›' : ' '} ${formatShortTime(decision.at).padEnd(12)} ${clip(safe(decision.sessionId ?? '-'), 10).padEnd(10)} ${clip(safe(decision.tool), 12).padEnd(12)} `}
            <Text color={colour(DECISION_COLOUR[decision.decision])} bold>
              {decision.decision.padEnd(8)}
            </Text>
            {` ${clip(formatOutcome(decision), OUTCOME_WIDTH).padEnd(OUTCOME_WIDTH)} ${safe(decision.policyName ?? 'default')}: ${safe(decision.reason)}`}
          </Text>
        );
      })}
      <Box flexGrow={1} />
      {current ? (
        <Text dimColor wrap="truncate-end">
          {clip(safe(`${current.event} · ${formatOutcome(current)}${current.outcomeAt ? ` at ${formatShortTime(current.outcomeAt)}` : ''} · ${JSON.stringify(current.args)}`), width)}
        </Text>
      ) : null}
    </Box>
  );
}
