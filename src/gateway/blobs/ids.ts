// Blob ids: 128 random bits, base64url. Opaque (they say nothing about content or
// tenant) and unguessable; every lookup is by (tenant, id), so an id alone grants nothing.
import { randomBytes } from 'node:crypto';

const ID_RE = /^[A-Za-z0-9_-]{22}$/;

export function newBlobId(): string {
  return randomBytes(16).toString('base64url');
}

/** True for strings shaped like an id from newBlobId (cheap reject before any I/O). */
export function isBlobId(value: string): boolean {
  return ID_RE.test(value);
}
