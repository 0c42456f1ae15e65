// The WebSocket handshake checks of the ws library (WebSocketServer.handleUpgrade), made
// before the upgrade is handed to it: ws refuses a bad handshake with a plain-text 400
// written straight to the socket, outside the gateway's error shape (issue 12, case 5).
// Made here, a bad handshake is an ordinary HTTP answer — 400 INVALID_HANDSHAKE in the
// one error shape — and the upgrade guard closes the socket after it. The rules are
// ws's (8.x): `Upgrade: websocket`, a Sec-WebSocket-Key of 16 base64-encoded bytes,
// Sec-WebSocket-Version 13 (or 8, which ws also speaks), and a well-formed
// Sec-WebSocket-Protocol list when one is sent.
import type { IncomingHttpHeaders } from 'node:http';

/** Versions the gateway speaks, for the Sec-WebSocket-Version header of a refusal (RFC 6455 §4.4). */
export const WS_VERSIONS = '13, 8';

const KEY = /^[+/0-9A-Za-z]{22}==$/;
// RFC 7230 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface HandshakeProblem {
  message: string;
  /** Set for a version refusal: the versions to advertise. */
  versions?: string;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Why ws would refuse this upgrade request's headers (undefined: it would accept them). */
export function handshakeProblem(headers: IncomingHttpHeaders): HandshakeProblem | undefined {
  const upgrade = one(headers.upgrade);
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    return { message: 'The Upgrade header must be "websocket"' };
  }
  const key = one(headers['sec-websocket-key']);
  if (key === undefined || !KEY.test(key)) {
    return { message: 'Missing or invalid Sec-WebSocket-Key header (16 base64-encoded bytes)' };
  }
  const version = Number(one(headers['sec-websocket-version']));
  if (version !== 13 && version !== 8) {
    return { message: 'Missing or unsupported Sec-WebSocket-Version header (13)', versions: WS_VERSIONS };
  }
  const protocols = one(headers['sec-websocket-protocol']);
  if (protocols !== undefined) {
    const names = protocols.split(',').map((p) => p.trim());
    if (names.some((p) => !TOKEN.test(p)) || new Set(names).size !== names.length) {
      return { message: 'Invalid Sec-WebSocket-Protocol header' };
    }
  }
  return undefined;
}
