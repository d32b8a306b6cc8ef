import { Box, Text } from 'ink';
import React from 'react';
import { clip, formatAge, formatCost, formatTokens, safe, shortPath } from '../format';
import type { Session, SessionUsage } from '../state';
import { STATE_LOOK, useColour } from '../theme';

interface Props {
  sessions: Session[];
  selectedId: string | null;
  usage: Record<string, SessionUsage>;
  width: number;
  height: number;
  now: number;
}

/**
 * One row per session, attention first (the order comes from the reducer): state symbol and word, name, provider,
 * how long in that state, tokens and cost when the transcript index knows them, and the directory. The window of
 * rows follows the selection when the list is taller than its box.
 */
export function SessionList({ sessions, selectedId, usage, width, height, now }: Props): React.JSX.Element {
  const colour = useColour();
  const rows = Math.max(1, height - 1);
  const selected = Math.max(0, sessions.findIndex((session) => session.id === selectedId));
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, sessions.length - rows));
  const visible = sessions.slice(first, first + rows);
  const nameWidth = Math.min(20, Math.max(8, ...sessions.map((session) => [...safe(session.name ?? session.id)].length)));
  const fixed = 2 + 12 + 1 + nameWidth + 1 + 11 + 1 + 4 + 1 + 15 + 1;
  const cwdWidth = Math.max(6, width - fixed);
  return (
    <Box flexDirection="column" height={height}>
      <Text dimColor wrap="truncate-end">
        {`  ${'STATE'.padEnd(12)} ${'NAME'.padEnd(nameWidth)} ${'PROVIDER'.padEnd(11)} ${'FOR'.padStart(4)} ${'TOKENS / COST'.padStart(15)} DIRECTORY`}
      </Text>
      {visible.map((session) => {
        const look = STATE_LOOK[session.state];
        const isSelected = session.id === selectedId;
        const spent = usage[session.id];
        const cost = spent ? `${formatTokens(spent.totalTokens)} ${formatCost(spent.totalCost)}` : '';
        return (
          <Box key={session.id}>
            <Text inverse={isSelected} bold={isSelected}>
              {isSelected ? '›' : ' '}{' '}
            </Text>
            <Text color={colour(look.colour)} bold={look.attention} inverse={look.attention}>
              {`${look.symbol} ${look.label}`.padEnd(12)}
            </Text>
            <Text inverse={isSelected} wrap="truncate-end">
              {` ${clip(safe(session.name ?? session.id), nameWidth).padEnd(nameWidth)} ${session.provider.padEnd(11)} ${formatAge(session.stateSince, now).padStart(4)} ${clip(cost, 15).padStart(15)} ${shortPath(safe(session.cwd), cwdWidth)}`}
            </Text>
          </Box>
        );
      })}
      {sessions.length === 0 ? <Text dimColor>  no sessions: press c to start one, ? for every key</Text> : null}
    </Box>
  );
}
