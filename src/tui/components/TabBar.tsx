import { Box, Text } from 'ink';
import React from 'react';
import { clip, displayWidth } from '../format';
import { SCREENS, SCREEN_TITLES, type AppState, type ScreenId } from '../state';
import { useColour } from '../theme';

const BRAND = 'codepiper ';
const STATUS: Record<AppState['connection']['status'], { long: string; short: string; colour: string }> = {
  connected: { long: '● daemon', short: '●', colour: 'green' },
  lost: { long: '✖ no daemon', short: '✖', colour: 'red' },
  connecting: { long: '◌ connecting', short: '◌', colour: 'yellow' },
};

interface Layout {
  brand: boolean;
  tabs: Array<{ id: ScreenId; text: string }>;
}

/**
 * The ways the tab bar can be drawn, widest first: the name and every title; every title; the current title and the
 * others' first three letters; the current title and the others' numbers; only the current one, with arrows saying
 * that tab and shift+tab lead to the others. The first that fits on the line is used: the bar never wraps.
 */
export function tabLayouts(screen: ScreenId): Layout[] {
  const tab = (id: ScreenId, index: number, title: string) => ({ id, text: ` ${index + 1}${title ? ` ${title}` : ''} ` });
  const each = (other: (id: ScreenId) => string) => SCREENS.map((id, index) => tab(id, index, id === screen ? SCREEN_TITLES[id] : other(id)));
  const current = SCREENS.indexOf(screen);
  return [
    { brand: true, tabs: each((id) => SCREEN_TITLES[id]) },
    { brand: false, tabs: each((id) => SCREEN_TITLES[id]) },
    { brand: false, tabs: each((id) => SCREEN_TITLES[id].slice(0, 3)) },
    { brand: false, tabs: each(() => '') },
    { brand: false, tabs: [{ id: screen, text: ` ‹ ${current + 1}/${SCREENS.length} ${SCREEN_TITLES[screen]} › ` }] },
  ];
}

function layoutWidth(layout: Layout): number {
  return (layout.brand ? displayWidth(BRAND) : 0) + layout.tabs.reduce((sum, tab) => sum + displayWidth(tab.text), 0);
}

/** The top line: the screens with their number keys, the current one inverse; the daemon's state at the right. */
export function TabBar({ screen, connection, width }: { screen: AppState['screen']; connection: AppState['connection']; width: number }): React.JSX.Element {
  const colour = useColour();
  const status = STATUS[connection.status];
  // The name is decoration: below 90 columns the room goes to the tabs and the space around them.
  const layouts = tabLayouts(screen).filter((layout) => !layout.brand || width >= 90);
  // The full status word when it fits beside the fullest tabs that fit, else its symbol alone.
  let chosen: Layout | undefined;
  let statusText = status.long;
  for (const text of [status.long, status.short]) {
    chosen = layouts.find((layout) => layoutWidth(layout) + 1 + displayWidth(text) <= width);
    if (chosen) {
      statusText = text;
      break;
    }
  }
  if (!chosen) {
    // Narrower than the smallest bar: the current tab alone, cut to the line.
    statusText = status.short;
    const only = layouts.at(-1)!;
    chosen = { brand: false, tabs: [{ id: screen, text: clip(only.tabs[0]!.text, Math.max(1, width - 2)) }] };
  }
  return (
    <Box justifyContent="space-between" width={width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {chosen.brand ? (
          <Text bold color={colour('cyan')}>
            {BRAND}
          </Text>
        ) : null}
        {chosen.tabs.map((tab) => (
          <Text key={tab.id} inverse={tab.id === screen} bold={tab.id === screen}>
            {tab.text}
          </Text>
        ))}
      </Text>
      <Text color={colour(status.colour)} wrap="truncate-end">
        {statusText}
      </Text>
    </Box>
  );
}
