import type { IncomingMessage } from 'node:http';

/**
 * Parses a Web API request the way Slack does: form-encoded (nested values JSON-encoded as strings, as
 * @slack/web-api sends them), JSON (token only from the Authorization header) or multipart (file uploads).
 */

/** Arguments whose form-encoded value is a JSON document. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'unfurls', 'user_auth_blocks']);

export interface ParsedRequest {
  args: Record<string, unknown>;
  token: string | undefined;
  /** JSON fields that did not parse (Slack answers e.g. `invalid_blocks_format`). */
  malformed: string[];
  /** Uploaded bytes: the file part of a multipart body, or the raw body of anything else. */
  file?: { bytes: Buffer; filename?: string; contentType?: string };
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

function decodeJsonFields(args: Record<string, unknown>, malformed: string[]): void {
  for (const [key, value] of Object.entries(args)) {
    if (!JSON_FIELDS.has(key) || typeof value !== 'string') continue;
    try {
      args[key] = JSON.parse(value) as unknown;
    } catch {
      malformed.push(key);
    }
  }
}

export async function parseRequest(req: IncomingMessage, body: Buffer, query: URLSearchParams): Promise<ParsedRequest> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Record<string, unknown> = Object.fromEntries(query.entries());
  const malformed: string[] = [];
  let token = bearer(req);
  let file: ParsedRequest['file'];

  if (contentType.startsWith('application/json')) {
    if (body.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        malformed.push('body');
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        Object.assign(args, parsed);
      }
    }
    // Slack ignores a token field in a JSON body: JSON requests must use the Authorization header.
    delete args.token;
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Request('http://emulator.invalid/', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body,
    }).formData();
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') {
        args[key] = value;
      } else {
        file = { bytes: Buffer.from(await value.arrayBuffer()), filename: value.name, contentType: value.type };
      }
    }
  } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType === '') {
    for (const [key, value] of new URLSearchParams(body.toString('utf8')).entries()) args[key] = value;
  } else {
    file = { bytes: body, contentType };
  }

  if (token === undefined && typeof args.token === 'string' && args.token !== '') token = args.token;
  delete args.token;
  decodeJsonFields(args, malformed);
  return { args, token, malformed, file };
}
