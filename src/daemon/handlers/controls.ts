import type { Handlers } from '../router';

/** Per-session controls: thin adapters from the contract to the model switch, the terminal view and image uploads. */
export const controlHandlers = {
  'sessions.model': ({ id }, { daemon }) => daemon.core.controls.model.get(id),
  'sessions.setModel': ({ id, model, timeoutMs }, { daemon }) => daemon.core.controls.model.set(id, model, timeoutMs),
  'sessions.terminalInfo': ({ id }, { daemon }) => daemon.core.controls.view.info(id),
  'sessions.terminalMode': ({ id, mode }, { daemon }) => daemon.core.controls.view.setMode(id, mode),
  'sessions.terminalScroll': ({ id, ...scroll }, { daemon }) => daemon.core.controls.view.scroll(id, scroll),
  'sessions.terminalSearch': ({ id, ...query }, { daemon }) => daemon.core.controls.view.search(id, query),
  'sessions.uploadImage': ({ id, ...image }, { daemon }) => daemon.core.controls.images.upload(id, image),
} satisfies Pick<
  Handlers,
  'sessions.model' | 'sessions.setModel' | 'sessions.terminalInfo' | 'sessions.terminalMode' | 'sessions.terminalScroll' | 'sessions.terminalSearch' | 'sessions.uploadImage'
>;
