// The surface of @switchboard/server that engine packages build on: the engine interfaces, the error base
// engines throw, and the duration parser their URL options share with the configuration. Importing it loads
// no transport and no HTTP code.
export { parseDuration, parseSize } from './config/units.ts';
export type * from './engine/types.ts';
export { EngineError, SwitchboardError } from './errors.ts';
