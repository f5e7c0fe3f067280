import { z } from 'zod';
import { runbookFileSchema } from './catalog-schema';

/** The JSON Schema of a `commands/*.yaml` file, for editor completion (`incident-bot schema > commands/catalog.schema.json`). */
export function catalogJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runbookFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://incident-bot.local/commands/catalog.schema.json',
    title: 'incident-bot runbook',
    description: 'One runbook of the incident-bot catalog: the alerts it covers, its probes, likely causes, manual steps and remediations.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

export function catalogJsonSchemaText(): string {
  return `${JSON.stringify(catalogJsonSchema(), null, 2)}\n`;
}
