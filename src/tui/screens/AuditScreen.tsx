import { Box, Text } from 'ink';
import React from 'react';
import { clip, formatOutcome, formatWhen, padEndTo, safe } from '../format';
import type { AppState } from '../state';
import { useColour } from '../theme';

const DECISION_COLOUR = { allow: 'green', deny: 'red', ask: 'yellow' } as const;
/** "approved in the agent after 12s" fits; longer outcomes are clipped (the selected row's line below has it all). */
const OUTCOME_WIDTH = 30;

/** The latest policy decisions, newest first, optionally of one session; the selected one's arguments below. */
export function AuditScreen({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element {
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
      <Text dimColor wrap="truncate-end">{`  ${'TIME'.padEnd(16)} ${'SESSION'.padEnd(10)} ${'TOOL'.padEnd(12)} ${'DECISION'.padEnd(8)} ${'OUTCOME'.padEnd(OUTCOME_WIDTH)} POLICY / REASON`}</Text>
      {!loaded ? <Text dimColor>  loading…</Text> : decisions.length === 0 ? <Text dimColor>  no decisions recorded yet</Text> : null}
      {decisions.slice(first, first + rows).map((decision, index) => {
        const isSelected = first + index === selected;
        return (
          <Text key={decision.id} inverse={isSelected} wrap="truncate-end">
            {`${isSelected ? '›' : ' '} ${padEndTo(formatWhen(decision.at, now), 16)} ${padEndTo(clip(safe(decision.sessionId ?? '-'), 10), 10)} ${padEndTo(clip(safe(decision.tool), 12), 12)} `}
            <Text color={colour(DECISION_COLOUR[decision.decision])} bold>
              {decision.decision.padEnd(8)}
            </Text>
            {` ${padEndTo(clip(formatOutcome(decision), OUTCOME_WIDTH), OUTCOME_WIDTH)} ${safe(decision.policyName ?? 'default')}: ${safe(decision.reason)}`}
          </Text>
        );
      })}
      <Box flexGrow={1} />
      {current ? (
        <Text dimColor wrap="truncate-end">
          {clip(safe(`${current.event} · ${formatOutcome(current)}${current.outcomeAt ? ` ${formatWhen(current.outcomeAt, now)}` : ''} · ${JSON.stringify(current.args)}`), width)}
        </Text>
      ) : null}
    </Box>
  );
}
