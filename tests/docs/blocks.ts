// Fenced code blocks of the user-facing docs, and what their info strings say about running them.
//
//   ```sh                                     run it
//   ```sh norun: <reason>                      not run; the reason is listed by the docs tier
//   ```sh tested-by=tests/x/y.test.ts          run by that test (which must exist), not here
//   ```json file=switchboard.json              the content of a file: written where the document's blocks run
//   ```ini file=deploy/systemd/switchboard.service   a repository file, shown in full: must equal it
//
// GitHub and other renderers use the first word as the language and ignore the rest.
import { readFileSync } from 'node:fs';

export interface Block {
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly norun: string | undefined;
  readonly testedBy: string | undefined;
  readonly file: string | undefined;
}

export const SHELL = new Set(['sh', 'bash', 'shell']);
export const JS = new Set(['js', 'mjs', 'javascript']);

export function blocksOf(doc: string, path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', info = ''] = open;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === `${indent}${fence}`);
    if (end < 0) throw new Error(`${doc}:${i + 1}: an unclosed code fence`);
    const code = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n');
    const norun = /(?:^|\s)norun(?::\s*(.*))?$/.exec(info);
    blocks.push({
      doc,
      line: i + 1,
      lang,
      code,
      norun: norun === null ? undefined : (norun[1] ?? '').trim(),
      testedBy: /(?:^|\s)tested-by=(\S+)/.exec(info)?.[1],
      file: /(?:^|\s)file=(\S+)/.exec(info)?.[1],
    });
    i = end;
  }
  return blocks;
}

/** A shell block as commands: `\` continuations joined, comments and blank lines dropped. */
export function commandsOf(code: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of code.split('\n')) {
    const line = current === '' ? raw.trim() : raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(current + line);
    current = '';
  }
  if (current !== '') out.push(current);
  return out;
}

/** A command that starts a long-running hub (or demo server): run in the background until it answers /healthz. */
export function startsServer(command: string): boolean {
  return /(^|[\s;&|(])(npm start|npm run demos(?!:)|(npx )?switchboard serve|\.\/dist\/switchboard serve)\b/.test(
    command.replace(/\s+#.*$/, ''),
  );
}
