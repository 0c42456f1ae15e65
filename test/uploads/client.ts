// Test clients: multipart uploads streamed from deterministic data (form-data → undici),
// and raw HTTP for malformed bodies.
import FormData from 'form-data';
import { PassThrough, type Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { dataStream } from '../blobs/data.js';

export type PartSpec =
  | { field: string; filename: string; size: number; seed: number; mime?: string; body?: Readable }
  | { field: string; value: string };

export interface UploadResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the gateway answered
  body: any;
}

/** Build a streamed multipart body (with Content-Length when every part's size is known). */
export function multipartBody(parts: PartSpec[]): { body: Readable; headers: Record<string, string> } {
  const form = new FormData();
  for (const p of parts) {
    if ('value' in p) form.append(p.field, p.value);
    else
      form.append(p.field, p.body ?? dataStream(p.size, p.seed), {
        filename: p.filename,
        contentType: p.mime ?? 'application/octet-stream',
        knownLength: p.size,
      });
  }
  const headers: Record<string, string> = { ...(form.getHeaders() as Record<string, string>) };
  if (parts.every((p) => 'value' in p || !p.body)) headers['content-length'] = String(form.getLengthSync());
  const body = new PassThrough();
  form.on('error', (err) => body.destroy(err));
  form.pipe(body);
  return { body, headers };
}

export async function upload(
  url: string,
  token: string,
  parts: PartSpec[],
  opts: { dispatcher?: Dispatcher; signal?: AbortSignal } = {},
): Promise<UploadResult> {
  const { body, headers } = multipartBody(parts);
  const res = await request(`${url}/v1/upload`, {
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${token}` },
    body,
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, headers: res.headers, body: parsed };
}
