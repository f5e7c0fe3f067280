import { CORE_SCHEMA, load } from 'js-yaml';
import type { Document, LineCounter } from 'yaml';

/** quickYaml's answer when the text is not plain valid YAML: the located parse then says what and where. */
export const UNPARSED = Symbol('unparsed');

/**
 * A YAML file's data by the fast parser (js-yaml with YAML 1.2's core schema, duplicate keys refused), which reads the
 * catalog several times faster than the `yaml` library at start-up. Anything it does not accept is parsed again by
 * `locatedYaml`, whose errors carry lines, so a broken file is reported exactly as before.
 */
export function quickYaml(text: string): unknown {
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch {
    return UNPARSED;
  }
}

export type LocatedYaml = () => { doc: Document; lineCounter: LineCounter };

/** The text's `yaml` document with line positions, parsed on first use: only a problem needs a line number. */
export function locatedYaml(text: string): LocatedYaml {
  let parsed: { doc: Document; lineCounter: LineCounter } | undefined;
  return () => {
    if (!parsed) {
      const yaml = yamlLibrary();
      const lineCounter = new yaml.LineCounter();
      parsed = { doc: yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
    }
    return parsed;
  };
}

/** Line of the deepest node that exists along the path (a missing key points at its parent). */
export function lineOf(source: LocatedYaml, p: (string | number)[]): number | undefined {
  const { doc, lineCounter } = source();
  const { isMap, isScalar, isSeq } = yamlLibrary();
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true) as unknown;
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) {
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** The `yaml` library, loaded only when a file needs lines or its overlay is read. */
function yamlLibrary(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml') as typeof import('yaml');
}
