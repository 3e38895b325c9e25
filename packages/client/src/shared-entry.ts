// `@switchboard/client/shared`: the core client plus one connection shared across the tabs of an origin.
export * from './index.ts';
export { createSharedClient, type SharedClientOptions, type ShareOptions } from './share/shared.ts';
