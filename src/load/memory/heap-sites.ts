// What grows, by allocation site: V8's sampling heap profile (HeapProfiler.getSamplingProfile,
// taken after a full GC) lists the sampled allocations still alive, on the call tree
// that made them. Pure: `liveBySite` folds a profile into bytes per site, and
// `growthBySite` diffs two of them (the start and the end of the judged window) into
// the sites that retained more — "+12.4 MiB leakTick (leak.mjs:3)".
//
// A site is the innermost frame of USER code on the allocating stack: builtins and
// `node:` internals (Array.prototype.push, Buffer.alloc) are walked past, so a site
// names the line that asked for the memory; their name is kept as `via`.

/** The parts of a CDP HeapProfiler.SamplingHeapProfileNode the fold reads. */
export interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

export interface SamplingProfile {
  head: SamplingNode;
}

export interface AllocationSite {
  /** "leakTick (file:///app/leak.mjs:3:12)" — the user frame that allocated. */
  site: string;
  /** The builtin or internal frame that did the allocation for it, when not the site itself. */
  via?: string;
  bytes: number;
}

export interface SiteGrowth extends AllocationSite {
  /** Retained bytes at the end minus at the start of the window (sampled estimate). */
  growthBytes: number;
}

function isUserFrame(frame: SamplingNode['callFrame']): boolean {
  return frame.url !== '' && !frame.url.startsWith('node:') && frame.lineNumber >= 0;
}

function frameText(frame: SamplingNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  // CDP numbers lines and columns from 0.
  return `${name} (${frame.url}:${frame.lineNumber + 1}:${frame.columnNumber + 1})`;
}

/** Retained bytes per allocation site in one sampling profile. */
export function liveBySite(profile: SamplingProfile): Map<string, AllocationSite> {
  const out = new Map<string, AllocationSite>();
  const walk = (node: SamplingNode, userFrame: SamplingNode['callFrame'] | undefined) => {
    const user = isUserFrame(node.callFrame) ? node.callFrame : userFrame;
    if (node.selfSize > 0) {
      const site = user ? frameText(user) : frameText(node.callFrame);
      const via = user && user !== node.callFrame ? frameText(node.callFrame) : undefined;
      const key = `${site}\u0000${via ?? ''}`;
      const entry = out.get(key) ?? { site, ...(via ? { via } : {}), bytes: 0 };
      entry.bytes += node.selfSize;
      out.set(key, entry);
    }
    for (const child of node.children ?? []) walk(child, user);
  };
  walk(profile.head, undefined);
  return out;
}

/** The sites that retained more at `end` than at `start`, largest growth first. */
export function growthBySite(start: SamplingProfile | undefined, end: SamplingProfile, top = 5): SiteGrowth[] {
  const before = start ? liveBySite(start) : new Map<string, AllocationSite>();
  const grown: SiteGrowth[] = [];
  for (const [key, site] of liveBySite(end)) {
    const growthBytes = site.bytes - (before.get(key)?.bytes ?? 0);
    if (growthBytes > 0) grown.push({ ...site, growthBytes });
  }
  return grown.sort((a, b) => b.growthBytes - a.growthBytes || a.site.localeCompare(b.site)).slice(0, top);
}
