import { describe, expect, it } from 'vitest';
import { UploadSlots } from '../../src/gateway/uploads/index.js';

describe('UploadSlots', () => {
  it('enforces global, tenant and IP caps and frees slots exactly once', () => {
    const slots = new UploadSlots({ global: 3, perIp: 2 });
    const a = slots.acquire('t1', 'ip1', 5);
    const b = slots.acquire('t1', 'ip1', 5);
    expect(slots.acquire('t1', 'ip1', 5)).toEqual({ ok: false, reason: 'ip', limit: 2 });
    expect(slots.acquire('t1', 'ip2', 2)).toEqual({ ok: false, reason: 'tenant', limit: 2 });
    const c = slots.acquire('t2', 'ip2', 5);
    expect(slots.acquire('t3', 'ip3', 5)).toEqual({ ok: false, reason: 'global', limit: 3 });
    expect(slots.inFlight).toBe(3);
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected grants');
    a.release();
    a.release(); // idempotent
    expect(slots.inFlight).toBe(2);
    expect(slots.inFlightFor('t1')).toBe(1);
    expect(slots.acquire('t1', 'ip1', 5).ok).toBe(true);
  });
});
