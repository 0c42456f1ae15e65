// Hostile multipart bodies for POST /v1/upload, with the default part and field counts
// (20 parts, 10 fields) and a 64 KiB part size (http.test.ts). Answers as documented
// in docs/protocol-http.md and docs/blobs.md.
import type { RawCase } from './corpus.js';
import { ACME } from './corpus.js';
import { httpRequest } from '../support/raw-socket.js';

const B = 'HoStIlE-boundary';
const MULTIPART = { ...ACME, 'Content-Type': `multipart/form-data; boundary=${B}` };

const field = (name: string, value: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, filename: string, bytes: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${bytes}\r\n`;
const END = `--${B}--\r\n`;

const upload = (body: string, headers: Record<string, string> = MULTIPART) =>
  httpRequest({ path: '/v1/upload', headers, body });

const bad = (name: string, send: RawCase['send'], status: number, code: string): RawCase => ({
  name: `upload: ${name}`,
  send,
  answers: [{ status, code }],
  closes: true,
});
const created = (name: string, send: RawCase['send']): RawCase => ({
  name: `upload: ${name}`,
  send,
  answers: [{ status: 201 }],
  closes: true,
});

export const MULTIPART_CASES: RawCase[] = [
  created('a valid file and field (control)', upload(file('f', 'a.bin', 'hello') + field('note', 'hi') + END)),
  bad('a JSON body', upload('{"a":1}', { ...ACME, 'Content-Type': 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  bad('no Content-Type', upload(file('f', 'a', 'x') + END, ACME), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  bad(
    'multipart without a boundary',
    upload(file('f', 'a', 'x') + END, { ...ACME, 'Content-Type': 'multipart/form-data' }),
    400,
    'MALFORMED_MULTIPART',
  ),
  bad(
    'truncated: no closing boundary',
    upload(file('f', 'a', 'x'.repeat(100)).slice(0, -20)),
    400,
    'MALFORMED_MULTIPART',
  ),
  bad(
    '21 file parts (default limit 20)',
    upload(Array.from({ length: 21 }, (_, i) => file(`f${i}`, `${i}.bin`, 'x')).join('') + END),
    413,
    'TOO_MANY_PARTS',
  ),
  bad(
    '11 fields (default limit 10)',
    upload(Array.from({ length: 11 }, (_, i) => field(`k${i}`, 'v')).join('') + END),
    413,
    'TOO_MANY_FIELDS',
  ),
  bad(
    'a file part over the part size',
    upload(file('f', 'big.bin', 'x'.repeat(70_000)) + END),
    413,
    'UPLOAD_TOO_LARGE',
  ),
  bad('a field value over 1 MiB', upload(field('note', 'x'.repeat(1024 * 1024 + 10)) + END), 413, 'UPLOAD_TOO_LARGE'),
  bad(
    'Content-Encoding gzip',
    upload(file('f', 'a', 'x') + END, { ...MULTIPART, 'Content-Encoding': 'gzip' }),
    415,
    'UNSUPPORTED_ENCODING',
  ),
  bad(
    'no token',
    upload(file('f', 'a', 'x') + END, { 'Content-Type': MULTIPART['Content-Type'] }),
    401,
    'UNAUTHORIZED',
  ),
  created('a filename with path traversal (it is only metadata)', upload(file('f', '../../etc/passwd', 'x') + END)),
  created('an empty body: only the closing boundary', upload(END)),
  created('a field name repeated', upload(field('k', '1') + field('k', '2') + END)),
  created(
    'a chunked body',
    httpRequest({
      path: '/v1/upload',
      headers: { ...MULTIPART, 'Transfer-Encoding': 'chunked' },
      body: (() => {
        const b = file('f', 'c.bin', 'chunked') + END;
        return `${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`;
      })(),
      noLength: true,
    }),
  ),
];
