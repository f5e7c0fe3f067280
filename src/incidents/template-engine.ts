/**
 * A logic-less template language, a subset of Mustache: `{{name}}` (always escaped),
 * `{{#name}}…{{/name}}` (shown when `name` is non-empty / true), `{{^name}}…{{/name}}` (shown when
 * it is not) and `{{! comment }}`. No triple braces, no partials, no code: a template can only
 * place values, never produce a mention or `<!channel>` from them.
 *
 * The escaper is a required argument, not an import: the core may not import `slack/`, so the
 * composition root passes `escapeMrkdwn` (slack/blocks/mrkdwn.ts), the one implementation.
 */
export type Escape = (text: string) => string;

/** A value rendered as a Slack user mention; only ids shaped like Slack's are accepted. */
export class Mention {
  private constructor(readonly userId: string) {}
  static of(userId: string | null | undefined): Mention | string {
    return userId && /^[UW][A-Z0-9]{2,20}$/.test(userId) ? new Mention(userId) : (userId ?? '');
  }
  toString(): string {
    return `<@${this.userId}>`;
  }
}

export type TemplateValue = string | number | boolean | null | undefined | Mention;
export type TemplateVars = Record<string, TemplateValue>;

type Node =
  | { type: 'text'; text: string }
  | { type: 'var'; name: string; line: number }
  | { type: 'section'; name: string; inverted: boolean; line: number; children: Node[] };

export interface ParsedTemplate {
  nodes: Node[];
  /** Every variable the template names, with the line of its first use. */
  variables: Map<string, number>;
}

export class TemplateSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const TAG = /\{\{(\{?)\s*([#^/!]?)\s*([^}]*?)\s*(\}?)\}\}/g;
const NAME = /^[a-z_][a-z0-9_]*$/;

export function parseTemplate(source: string): ParsedTemplate {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { type: 'section' }>; line: number }[] = [];
  const variables = new Map<string, number>();
  const lineAt = (index: number): number => source.slice(0, index).split('\n').length;
  const push = (n: Node): void => {
    (stack.length ? stack[stack.length - 1]!.node.children : root).push(n);
  };
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const line = lineAt(m.index);
    if (m.index > last) push({ type: 'text', text: source.slice(last, m.index) });
    last = m.index + m[0].length;
    const [, open3, sigil, rawName, close3] = m;
    if (open3 || close3)
      throw new TemplateSyntaxError(line, `triple braces ${m[0]} are not supported: every value is escaped, write {{${rawName}}}`);
    if (sigil === '!') continue;
    const name = rawName!;
    if (!NAME.test(name)) throw new TemplateSyntaxError(line, `${m[0]} is not a variable name (lower-case letters, digits and _)`);
    if (!variables.has(name)) variables.set(name, line);
    if (sigil === '#' || sigil === '^') {
      const node: Extract<Node, { type: 'section' }> = { type: 'section', name, inverted: sigil === '^', line, children: [] };
      push(node);
      stack.push({ node, line });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (!open) throw new TemplateSyntaxError(line, `{{/${name}}} closes a section that was never opened`);
      if (open.node.name !== name)
        throw new TemplateSyntaxError(line, `{{/${name}}} closes {{#${open.node.name}}} (opened on line ${open.line})`);
    } else {
      push({ type: 'var', name, line });
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1]!;
    throw new TemplateSyntaxError(open.line, `{{#${open.node.name}}} is never closed with {{/${open.node.name}}}`);
  }
  if (last < source.length) push({ type: 'text', text: source.slice(last) });
  return { nodes: root, variables };
}

const truthy = (v: TemplateValue): boolean => v instanceof Mention || (v !== undefined && v !== null && v !== false && v !== '' && v !== 0);

export function renderParsed(template: ParsedTemplate, vars: TemplateVars, escape: Escape): string {
  const walk = (nodes: Node[]): string =>
    nodes
      .map((n) => {
        if (n.type === 'text') return n.text;
        const v = vars[n.name];
        if (n.type === 'section') return truthy(v) !== n.inverted ? walk(n.children) : '';
        if (v === undefined || v === null || v === false) return '';
        return v instanceof Mention ? v.toString() : escape(String(v));
      })
      .join('');
  // Sections on lines of their own leave blank lines behind: collapse runs of them.
  return walk(template.nodes)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function renderTemplate(source: string, vars: TemplateVars, escape: Escape): string {
  return renderParsed(parseTemplate(source), vars, escape);
}
