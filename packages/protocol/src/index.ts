export * from './channel.ts';
export * from './codes.ts';
export * from './commands.ts';
export * from './cursor.ts';
export * from './frames.ts';
export * from './json.ts';
export * from './position.ts';
export * from './sse.ts';
