// Readiness of a service we did not write: it is ready when its URL answers HTTP at all
// (any status: a 404 from a server that is listening is ready). A foreign process gives
// no event for "my port is open", so this asks, every `intervalMs`, until it answers or
// `signal` aborts (the child exited, or the ready deadline passed).
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';

/** One GET: resolves with the status, rejects on a connection error or after `timeoutMs`. */
export function probeHttp(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? requestTls : request;
    const req = send(url, { method: 'GET', agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `url` answers HTTP; rejects with the abort reason when `signal` aborts first. */
export async function waitForHttp(url: string, signal: AbortSignal, intervalMs = 100): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    try {
      await probeHttp(url);
      return;
    } catch {
      await delay(intervalMs, undefined, { signal });
    }
  }
}
