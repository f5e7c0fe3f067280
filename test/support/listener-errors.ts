/**
 * Every bot a test starts (a process, or the playground in-process) registers how to read its log here; the setup
 * file `no-listener-errors.ts` fails the test file when one of them logged "unhandled error in a Slack listener":
 * every click and command must be answered by its handler, never end in Bolt's global error handler.
 */
export const LISTENER_ERROR = 'unhandled error in a Slack listener';

interface Watched {
  name: string;
  read: () => string;
  checkedUpTo: number;
}

const watched: Watched[] = [];

export function watchBotLog(name: string, read: () => string): void {
  watched.push({ name, read, checkedUpTo: 0 });
}

/** The lines logged since the last check that name an unhandled listener error, per bot. */
export function newListenerErrors(): string[] {
  const found: string[] = [];
  for (const w of watched) {
    const out = w.read();
    const fresh = out.slice(w.checkedUpTo);
    w.checkedUpTo = out.length;
    for (const line of fresh.split('\n')) if (line.includes(LISTENER_ERROR)) found.push(`${w.name}: ${line.slice(0, 600)}`);
  }
  return found;
}

/** A pino destination that keeps what is written (for a bot run in-process), to hand to `watchBotLog`. */
export function capturedLog(): { write(line: string): void; text(): string } {
  let out = '';
  return {
    write: (line: string) => {
      out += line;
    },
    text: () => out,
  };
}
