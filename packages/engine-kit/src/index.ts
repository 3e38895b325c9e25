// @switchboard/engine-kit: what an engine package builds on, and all it needs of the hub. Importing it loads no
// transport, no HTTP code and no test runner (the conformance suite is its own entry, `./conformance`).
export { EngineError, SwitchboardError } from './errors.ts';
export { MemoryOccupancy } from './occupancy.ts';
export { base64Of, binaryData, isBinaryData } from './payload.ts';
export {
  SEQUENCER_DEFAULTS,
  Sequencer,
  type SequencerLimits,
  type SequencerOutput,
} from './sequencer.ts';
export type * from './types.ts';
export {
  DURATION_UNITS,
  formatDuration,
  formatSize,
  type Parsed,
  parseDuration,
  parseSize,
  SIZE_UNITS,
} from './units.ts';
