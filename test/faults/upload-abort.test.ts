// Fault: uploads aborted mid-part (issue 12 item 3). While other clients upload, raw
// sockets send a multipart request and cut the connection in the middle of a file part:
// in the first part, or in the second after the first part arrived whole. Counted: the
// blobs stored are exactly those of the uploads answered 201 (manifest, records, content
// index), none of an aborted request (no partial blob, its whole first part neither),
// and no temp file is left.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { dataSha256, dataStream } from '../blobs/data.js';
import { startUploadGateway, type UploadGateway } from '../uploads/fixture.js';
import { upload } from '../uploads/client.js';
import { report } from './ledger.js';
import { rawConnection } from '../support/raw-socket.js';
import { until } from '../support/until.js';

/** Good uploads keep going until the aborts are done: at least MIN_GOOD, at most MAX_GOOD. */
const MIN_GOOD = 12;
const MAX_GOOD = 200;
const GOOD_SIZES = [10_000, 100_000];
/** Bytes sent of the part that is cut; every good file is smaller, so a temp file this big is the cut part's. */
const CUT_AT = 1_500_000;
/** The good upload held open across the aborts. */
const HELD_SIZE = 300_000;
const ABORTS = [
  { cutPart: 1, seed: 901 },
  { cutPart: 2, seed: 902 },
  { cutPart: 2, seed: 903 },
];

let g: UploadGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The largest file in tmp/ (the store's uploads in progress). */
async function largestTemp(dir: string): Promise<number> {
  let max = 0;
  for (const f of await filesUnder(join(dir, 'tmp')))
    max = Math.max(max, (await stat(f).catch(() => ({ size: 0 }))).size);
  return max;
}

/** A two-file multipart request over a raw socket, cut CUT_AT bytes into part `cutPart`. */
async function abortedUpload(url: string, cutPart: number, seed: number): Promise<void> {
  // The previous cut part's temp file is gone first, so the wait below sees this one's.
  await until(async () => (await largestTemp(g!.dir)) < 1_000_000, 5000, 'the previous cut part removed');
  const boundary = `CuT${seed}`;
  const partHead = (n: number) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="f${n}"; filename="cut${n}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const sock = await rawConnection(url);
  await sock.write(
    `POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer acme-token\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 20000000\r\n\r\n${partHead(1)}`,
  );
  if (cutPart === 2) {
    for await (const chunk of dataStream(200_000, seed)) await sock.write(chunk);
    await sock.write(`\r\n${partHead(2)}`);
  }
  for await (const chunk of dataStream(CUT_AT, seed + 1000)) await sock.write(chunk);
  // The cut lands mid-part: the gateway is writing that part to its temp file.
  await until(async () => (await largestTemp(g!.dir)) >= 1_000_000, 5000, 'the cut part to reach the store');
  sock.socket.destroy();
}

describe('fault: an upload aborted mid-part (local store)', () => {
  it('leaves no partial blob and no temp file; every completed upload is stored', async () => {
    g = await startUploadGateway('local');
    const gw = g;
    // The load: two-file uploads, 3 at a time, for as long as the aborts take.
    let next = 0;
    let abortsDone = false;
    const stored: Array<{ id: string; sha256: string }> = [];
    const failed: number[] = [];
    const uploader = async () => {
      while (next < MAX_GOOD && (next < MIN_GOOD || !abortsDone)) {
        const i = next++;
        const r = await upload(
          gw.url,
          'acme-token',
          GOOD_SIZES.map((size, k) => ({ field: `f${k}`, filename: `g${i}-${k}`, size, seed: i * 10 + k })),
        );
        if (r.status === 201) stored.push(...(r.body.files as Array<{ id: string; sha256: string }>));
        else failed.push(r.status);
      }
    };
    const load = Promise.all([uploader(), uploader(), uploader()]);
    // One good upload is surely in flight across every abort: its body waits for them.
    const heldBody = new PassThrough();
    const held = upload(gw.url, 'acme-token', [
      { field: 'held', filename: 'held', size: HELD_SIZE, seed: 777, body: heldBody },
    ]);
    const heldBytes = Buffer.concat(await dataStream(HELD_SIZE, 777).toArray());
    heldBody.write(heldBytes.subarray(0, HELD_SIZE / 2));
    for (const a of ABORTS) await abortedUpload(gw.url, a.cutPart, a.seed);
    heldBody.end(heldBytes.subarray(HELD_SIZE / 2));
    const heldResult = await held;
    if (heldResult.status === 201) stored.push(...(heldResult.body.files as Array<{ id: string; sha256: string }>));
    else failed.push(heldResult.status);
    abortsDone = true;
    await load;
    await until(async () => (await gw.uploads()).inFlight === 0, 5000, 'every aborted upload noticed');

    const lines = (await readFile(join(gw.dir, 'manifest.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; sha256: string });
    const records = (await filesUnder(join(gw.dir, 'by-id'))).filter((f) => f.endsWith('.json'));
    const objects = (await filesUnder(join(gw.dir, 'objects'))).map((f) => basename(f));
    const temps = await filesUnder(join(gw.dir, 'tmp'));
    const storedIds = new Set(stored.map((f) => f.id));
    const goodShas = new Set(stored.map((f) => f.sha256));
    const abortedFirstParts = await Promise.all(
      ABORTS.filter((a) => a.cutPart === 2).map((a) => dataSha256(200_000, a.seed)),
    );
    // A stored blob is one the manifest lists, with its record, that reads back whole.
    const readable = [];
    for (const f of stored) {
      const res = await request(`${gw.url}/v1/blobs/${f.id}`, { headers: { authorization: 'Bearer acme-token' } });
      const sha = createHash('sha256')
        .update(Buffer.from(await res.body.arrayBuffer()))
        .digest('hex');
      const listed = lines.some((l) => l.id === f.id) && records.some((r) => basename(r, '.json') === f.id);
      if (res.statusCode === 200 && sha === f.sha256 && listed) readable.push(f.id);
    }
    const counts = report({
      expected: next * GOOD_SIZES.length + 1,
      lost: next * GOOD_SIZES.length + 1 - readable.length,
      failedUploads: failed.length,
      strayManifestLines: lines.filter((l) => !storedIds.has(l.id)).length,
      strayRecords: records.filter((f) => !storedIds.has(basename(f, '.json'))).length,
      strayObjects: objects.filter((sha) => !goodShas.has(sha)).length,
      abortedFirstPartsStored: objects.filter((sha) => abortedFirstParts.includes(sha)).length,
      tempFiles: temps.length,
      clientAborted: (await gw.uploads()).rejected.client_aborted ?? 0,
    });
    expect(counts).toEqual({
      expected: counts.expected,
      lost: 0,
      failedUploads: 0,
      strayManifestLines: 0,
      strayRecords: 0,
      strayObjects: 0,
      abortedFirstPartsStored: 0,
      tempFiles: 0,
      clientAborted: ABORTS.length,
    });
    expect(counts.expected).toBeGreaterThan(MIN_GOOD * GOOD_SIZES.length);
    expect(lines).toHaveLength(counts.expected as number);
    expect(records).toHaveLength(counts.expected as number);
    expect(heldResult.body.files[0]).toMatchObject({ size: HELD_SIZE, sha256: await dataSha256(HELD_SIZE, 777) });
  });
});
