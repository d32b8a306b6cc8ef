import { reducer, type Action, type AppState } from './state';

/**
 * The dashboard's state container: the reducer's latest result, and who wants to hear of changes. Outside React so
 * that the controller (daemon messages, commands) and the components (useSyncExternalStore) share one source.
 */
export interface Store {
  getState(): AppState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

export function createStore(initial: AppState): Store {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
