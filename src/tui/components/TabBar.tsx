import { Box, Text } from 'ink';
import React from 'react';
import { SCREENS, SCREEN_TITLES, type AppState } from '../state';
import { useColour } from '../theme';

/** The top line: the screens with their number keys, the current one inverse; the daemon's state at the right. */
export function TabBar({ screen, connection, width }: { screen: AppState['screen']; connection: AppState['connection']; width: number }): React.JSX.Element {
  const colour = useColour();
  // The name goes first when the line is narrow, then the other tabs' titles shrink: at 80 columns all just fit.
  const brand = width >= 90;
  return (
    <Box justifyContent="space-between">
      <Box>
        {brand ? (
          <Text bold color={colour('cyan')}>
            codepiper{' '}
          </Text>
        ) : null}
        {SCREENS.map((id, index) => (
          <Text key={id} inverse={id === screen} bold={id === screen}>
            {` ${index + 1} ${width >= 72 || id === screen ? SCREEN_TITLES[id] : SCREEN_TITLES[id].slice(0, 3)} `}
          </Text>
        ))}
      </Box>
      <Text color={colour(connection.status === 'connected' ? 'green' : connection.status === 'lost' ? 'red' : 'yellow')}>
        {connection.status === 'connected' ? '● daemon' : connection.status === 'lost' ? '✖ no daemon' : '◌ connecting'}
      </Text>
    </Box>
  );
}
