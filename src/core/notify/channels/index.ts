import type { NotifyChannelConfig } from '../../config';
import { report, type ChannelDeps, type ChannelFactory, type NotifyChannel } from './channel';
import { commandChannel } from './command';
import { desktopChannel } from './desktop';
import { webhookChannel } from './webhook';

/** The terminal: the event goes on the notifications topic, which each TUI follows (banner and bell). */
const terminalChannel: ChannelFactory = (_config, deps) => ({
  deliver: async (event) => report('delivered', 1, null, { followers: deps.publishToTerminals(event) }),
});

/** Every channel type, by its name in config.json. Web Push adds its factory here. */
export const CHANNEL_FACTORIES: { [T in NotifyChannelConfig['type']]: ChannelFactory<Extract<NotifyChannelConfig, { type: T }>> } = {
  desktop: desktopChannel,
  terminal: terminalChannel,
  command: commandChannel,
  webhook: webhookChannel,
};

export function createChannel(config: NotifyChannelConfig, deps: ChannelDeps): NotifyChannel {
  return (CHANNEL_FACTORIES[config.type] as ChannelFactory)(config, deps);
}

export type { ChannelDeps, DeliveryReport, NotifyChannel } from './channel';
