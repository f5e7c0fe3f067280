import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { mrkdwnToMarkdown } from '../../src/postmortem/mrkdwn-to-markdown';

/** A thread of test/fixtures/incidents/ as the post-mortem's rules see it: people's messages, converted to Markdown. */
export interface FixtureMessage {
  markdown: string;
  author: string;
  at: Date;
  link: string;
}

interface Step {
  at: string;
  who?: string;
  say?: string;
  command?: string;
}

export function fixtureThread(name: string): { messages: FixtureMessage[]; people: string[]; commandAt(prefix: string): Date } {
  const doc = YAML.parse(readFileSync(join(__dirname, '..', 'fixtures', 'incidents', `${name}.yaml`), 'utf8')) as {
    date: string;
    users: Record<string, string>;
    steps: Step[];
  };
  const names = new Map(Object.entries(doc.users).map(([name, id]) => [id, name]));
  const at = (t: string) => new Date(`${doc.date}T${t}Z`);
  const messages = doc.steps
    .filter((s) => s.say !== undefined)
    .map((s, i) => ({
      markdown: mrkdwnToMarkdown(s.say!, names),
      author: s.who!,
      at: at(s.at),
      link: `https://acme.slack.com/archives/C0FIXTURE/p${i}`,
    }));
  return {
    messages,
    people: Object.keys(doc.users),
    commandAt: (prefix) => at(doc.steps.find((s) => s.command?.startsWith(prefix))!.at),
  };
}
