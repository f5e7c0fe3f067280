import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { locatedYaml, quickYaml, UNPARSED } from '../../src/runbooks/yaml-source';

const COMMANDS = path.resolve(__dirname, '../../commands');

/** The fast parser must read a runbook exactly as the located one does, and leave everything else to it. */
describe('runbook YAML: fast parse, located parse on problems', () => {
  it.each(readdirSync(COMMANDS).filter((n) => n.endsWith('.yaml')))('reads the shipped %s exactly as the `yaml` library does', (name) => {
    const text = readFileSync(path.join(COMMANDS, name), 'utf8');
    const located = locatedYaml(text)();
    expect(located.doc.errors).toEqual([]);
    expect(quickYaml(text)).toEqual(located.doc.toJS());
  });

  it('keeps YAML 1.2 core scalars: dates, yes/no and octal-looking numbers are what the `yaml` library makes of them', () => {
    const text = 'since: 2026-11-26\nanswer: yes\nmode: 0755\nempty:\nratio: 1e3\n';
    expect(quickYaml(text)).toEqual(locatedYaml(text)().doc.toJS());
    expect(quickYaml(text)).toEqual({ since: '2026-11-26', answer: 'yes', mode: 755, empty: null, ratio: 1000 });
  });

  it('hands duplicate keys and syntax errors to the located parse, which names the line', () => {
    for (const text of ['id: a\nid: b\n', 'id: a\n  title: [unclosed\n']) {
      expect(quickYaml(text)).toBe(UNPARSED);
      const { doc, lineCounter } = locatedYaml(text)();
      expect(doc.errors.length).toBeGreaterThan(0);
      expect(lineCounter.linePos(doc.errors[0]!.pos[0]).line).toBeGreaterThan(0);
    }
  });
});
