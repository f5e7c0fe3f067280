import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { remediationDeclarationSchema } from '../../src/remediations/remediation-declaration';

// The catalog (commands/*.yaml) and the registry must agree: every declared remediation parses as a declaration.
it('every remediation in commands/*.yaml is a valid declaration for the registry', async () => {
  const dir = path.join(__dirname, '../../commands');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  let count = 0;
  for (const file of files) {
    const doc = parse(await readFile(path.join(dir, file), 'utf8')) as { remediations?: unknown[] };
    for (const [i, r] of (doc.remediations ?? []).entries()) {
      const parsed = remediationDeclarationSchema.safeParse(r);
      if (!parsed.success)
        throw new Error(`${file} remediations[${i}]: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      count++;
    }
  }
  expect(count).toBeGreaterThan(0);
});
