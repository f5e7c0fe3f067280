import { LISTENER_ERROR, newListenerErrors } from './listener-errors';

// Loaded by jest (setupFilesAfterEach) before every test file: see listener-errors.ts.
function check(): void {
  const found = newListenerErrors();
  if (found.length > 0) throw new Error(`the bot logged "${LISTENER_ERROR}": a click or command went unanswered\n${found.join('\n')}`);
}

afterEach(check);
afterAll(check);
