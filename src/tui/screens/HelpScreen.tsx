import { Box, Text } from 'ink';
import React from 'react';
import { helpSections, SCOPE_TITLES } from '../keybindings';
import { SCREEN_TITLES, type AppState } from '../state';

/** Every binding of the keybinding table, the current screen's section first after the global one; j/k scroll. */
export function HelpScreen({ state, height }: { state: AppState; height: number }): React.JSX.Element {
  const scroll = state.overlay?.kind === 'help' ? state.overlay.scroll : 0;
  const current = state.review ? SCOPE_TITLES.diff : SCREEN_TITLES[state.screen];
  const sections = helpSections().sort((a, b) => rank(a.title) - rank(b.title));
  function rank(title: string): number {
    return title === 'Everywhere' ? 0 : title === current ? 1 : 2;
  }
  const keyWidth = Math.max(...sections.flatMap((section) => section.rows.map((row) => row.keys.length)));
  const lines: React.JSX.Element[] = [];
  for (const section of sections) {
    lines.push(
      <Text key={section.title} bold>
        {section.title}
      </Text>,
    );
    for (const row of section.rows) {
      lines.push(
        <Text key={`${section.title}:${row.keys}`} wrap="truncate-end">
          {`  ${row.keys.padEnd(keyWidth)}  ${row.description}`}
        </Text>,
      );
    }
  }
  const rows = Math.max(1, height - 1);
  const first = Math.min(scroll, Math.max(0, lines.length - rows));
  return (
    <Box flexDirection="column" height={height}>
      <Text inverse bold wrap="truncate-end">{` keys (${first + 1}-${Math.min(lines.length, first + rows)} of ${lines.length}; j/k scroll, any other key closes) `}</Text>
      {lines.slice(first, first + rows)}
    </Box>
  );
}
