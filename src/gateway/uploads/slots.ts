// UploadSlots: the concurrency caps for uploads — global, per tenant, per client IP.
// A request takes one slot of each before it reads a byte of the body and gives them
// back when it has finished (including the cleanup of a failed upload), so in-flight
// counts are exact. Over any cap the request is refused with the name of the cap.

export type CapacityReason = 'global' | 'tenant' | 'ip';

export interface SlotCaps {
  global: number;
  perIp: number;
}

export type SlotGrant = { ok: true; release: () => void } | { ok: false; reason: CapacityReason; limit: number };

export class UploadSlots {
  private readonly caps: SlotCaps;
  private active = 0;
  private readonly byTenant = new Map<string, number>();
  private readonly byIp = new Map<string, number>();

  constructor(caps: SlotCaps) {
    this.caps = caps;
  }

  /** Uploads holding a slot right now. */
  get inFlight(): number {
    return this.active;
  }

  inFlightFor(tenant: string): number {
    return this.byTenant.get(tenant) ?? 0;
  }

  /** Take a slot for (tenant, ip); `tenantCap` is the tenant's maxConcurrentUploads. */
  acquire(tenant: string, ip: string, tenantCap: number): SlotGrant {
    if (this.active >= this.caps.global) return { ok: false, reason: 'global', limit: this.caps.global };
    if ((this.byTenant.get(tenant) ?? 0) >= tenantCap) return { ok: false, reason: 'tenant', limit: tenantCap };
    if ((this.byIp.get(ip) ?? 0) >= this.caps.perIp) return { ok: false, reason: 'ip', limit: this.caps.perIp };
    this.active++;
    bump(this.byTenant, tenant, 1);
    bump(this.byIp, ip, 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        bump(this.byTenant, tenant, -1);
        bump(this.byIp, ip, -1);
      },
    };
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
