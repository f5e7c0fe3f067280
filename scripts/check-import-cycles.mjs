// Fails when src/ has an import cycle between two files, or between two folders (src/alerts/ → src/incidents/ →
// src/alerts/), counting `import type` too; when src/store/ imports a feature folder; and when a file other than a
// composition root imports src/store/. Run by `npm run lint`.
import path from 'node:path';
import madge from 'madge';

const SRC = path.join(import.meta.dirname, '..', 'src');
/** What store/ may import besides itself: the neutral modules. */
const STORE_MAY_IMPORT = new Set(['store', 'domain', 'logger.ts', 'clock.ts', 'errors.ts', 'data-dir-lock.ts']);
/** The composition roots: the only files outside store/ that import it, to construct the stores (ESLint checks which names). */
const STORE_IMPORTERS = new Set(['app.ts', 'postmortem/postmortem-cli.ts', 'playground/empty-database.ts', 'reports/stats-cli.ts']);
/** app.ts's wiring steps, one file each, share its licence. */
const isStoreImporter = (file) => STORE_IMPORTERS.has(file) || file.startsWith('app/');

const result = await madge(SRC, {
  fileExtensions: ['ts'],
  tsConfig: path.join(SRC, '..', 'tsconfig.json'),
  detectiveOptions: { ts: { skipTypeImports: false } },
});
const graph = result.obj();
const problems = [];

for (const cycle of result.circular()) problems.push(`file cycle: ${[...cycle, cycle[0]].join(' → ')}`);

// A folder is the first path segment under src/ (slack/blocks/x.ts → slack); a file at the top is its own node.
const unit = (file) => file.split('/')[0];
const edges = new Map();
for (const [file, deps] of Object.entries(graph)) {
  const from = unit(file);
  for (const dep of deps) {
    const to = unit(dep);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${file} → ${dep}`);
    if (from === 'store' && !STORE_MAY_IMPORT.has(to)) problems.push(`store/ imports a feature: ${file} → ${dep}`);
    if (to === 'store' && !isStoreImporter(file)) problems.push(`imports store/ (take the interface from domain/): ${file} → ${dep}`);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle.
let index = 0;
const stack = [];
const info = new Map();
const components = [];
const visit = (v) => {
  info.set(v, { index, low: index, onStack: true });
  index += 1;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component);
  }
};
for (const v of edges.keys()) if (!info.has(v)) visit(v);
for (const component of components) {
  const inside = new Set(component);
  const examples = component.flatMap((from) =>
    [...(edges.get(from) ?? [])].filter(([to]) => inside.has(to)).map(([, example]) => `    ${example}`),
  );
  problems.push(`folder cycle between ${component.sort().join(', ')}:\n${examples.join('\n')}`);
}

if (problems.length) {
  console.error(
    `${problems.length} import problem${problems.length === 1 ? '' : 's'} (see ARCHITECTURE.md, "Direction of imports"):\n${problems.join('\n')}`,
  );
  process.exit(1);
}
console.log(`no import cycles among ${Object.keys(graph).length} files`);
