/** The published packages (folders under packages/), each after the packages it depends on. */
export const PUBLISHED = [
  'protocol',
  'engine-kit',
  'client',
  'server-sdk',
  'server',
  'engine-redis',
  'engine-nats',
  'bench',
] as const;
