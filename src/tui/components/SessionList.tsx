import { Box, Text } from 'ink';
import React from 'react';
import { clip, displayWidth, formatAge, formatCost, formatTokens, padEndTo, padStartTo, safe, shortPath } from '../format';
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

const STATE_WIDTH = 13;
/** What the directory keeps before optional columns start to go: its last part, up to this many columns. */
const DIRECTORY_MIN = 20;
/**
 * The columns that may go when the line is narrow, in the order they go: tokens and cost (the analytics screen has
 * them), then the provider, then how long the session has been in its state. State, name and directory stay.
 */
const OPTIONAL = [
  { key: 'cost', header: 'TOKENS / COST', width: 15, align: 'right' },
  { key: 'provider', header: 'PROVIDER', width: 11, align: 'left' },
  { key: 'age', header: 'FOR', width: 4, align: 'right' },
] as const;
type Optional = (typeof OPTIONAL)[number]['key'];
/** The order they are drawn in. */
const DRAWN: Optional[] = ['provider', 'age', 'cost'];

/**
 * One row per session, attention first (the order comes from the reducer): state symbol and word, name, provider,
 * how long in that state, tokens and cost when the transcript index knows them, and the directory. The window of
 * rows follows the selection when the list is taller than its box. The selected row is inverse from edge to edge,
 * the state cell included (its colour becomes the background there), so the selection never breaks at a cell.
 */
export function SessionList({ sessions, selectedId, usage, width, height, now }: Props): React.JSX.Element {
  const colour = useColour();
  const rows = Math.max(1, height - 1);
  const selected = Math.max(0, sessions.findIndex((session) => session.id === selectedId));
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, sessions.length - rows));
  const visible = sessions.slice(first, first + rows);
  // Below 40 columns the state is its symbol alone (they read without colour too: see STATE_LOOK).
  const stateWidth = width < 40 ? 1 : STATE_WIDTH;
  const dirWanted = Math.min(DIRECTORY_MIN, Math.max(6, ...sessions.map((session) => displayWidth(shortPath(safe(session.cwd), DIRECTORY_MIN)))));
  const shown = new Set<Optional>(OPTIONAL.map((column) => column.key));
  let optionalWidth = OPTIONAL.reduce((sum, column) => sum + column.width + 1, 0);
  // The name narrows (down to 8 columns) before an optional column goes.
  const nameNatural = Math.min(20, Math.max(8, ...sessions.map((session) => displayWidth(safe(session.name ?? session.id)))));
  const nameRoom = () => width - (2 + stateWidth + 1 + 1) - optionalWidth - dirWanted;
  for (const column of OPTIONAL) {
    if (nameRoom() >= Math.min(8, nameNatural)) break;
    shown.delete(column.key);
    optionalWidth -= column.width + 1;
  }
  const nameWidth = Math.max(Math.min(8, nameNatural), Math.min(nameNatural, nameRoom()));
  const used = 2 + stateWidth + 1 + nameWidth + 1 + optionalWidth;
  const cwdWidth = Math.max(6, width - used);
  const optional = DRAWN.filter((key) => shown.has(key)).map((key) => OPTIONAL.find((column) => column.key === key)!);
  const cell = (column: (typeof OPTIONAL)[number], text: string) => (column.align === 'right' ? padStartTo(clip(text, column.width), column.width) : padEndTo(clip(text, column.width), column.width));
  const header = `  ${stateWidth === 1 ? ' ' : padEndTo('STATE', stateWidth)} ${padEndTo('NAME', nameWidth)} ${optional.map((column) => `${cell(column, column.header)} `).join('')}DIRECTORY`;
  return (
    <Box flexDirection="column" height={height}>
      <Text dimColor wrap="truncate-end">
        {header}
      </Text>
      {visible.map((session) => {
        const look = STATE_LOOK[session.state];
        const isSelected = session.id === selectedId;
        const spent = usage[session.id];
        const values: Record<Optional, string> = {
          cost: spent ? `${formatTokens(spent.totalTokens)} ${formatCost(spent.totalCost)}` : '',
          provider: session.provider,
          age: formatAge(session.stateSince, now),
        };
        const rest = ` ${padEndTo(clip(safe(session.name ?? session.id), nameWidth), nameWidth)} ${optional.map((column) => `${cell(column, values[column.key])} `).join('')}${shortPath(safe(session.cwd), cwdWidth)}`;
        return (
          <Box key={session.id}>
            <Text inverse={isSelected} bold={isSelected} wrap="truncate-end">
              {isSelected ? '›' : ' '}{' '}
              {/* Inside the selected row the row's inverse covers this cell; its own would end the row's at its end. */}
              <Text color={colour(look.colour)} bold={look.attention} inverse={look.attention && !isSelected}>
                {stateWidth === 1 ? look.symbol : padEndTo(`${look.symbol} ${look.label}`, stateWidth)}
              </Text>
              {rest}
            </Text>
          </Box>
        );
      })}
      {sessions.length === 0 ? <Text dimColor>  no sessions: press c to start one, ? for every key</Text> : null}
    </Box>
  );
}
