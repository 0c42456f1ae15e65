import { describe, expect, it } from 'vitest';
import { growthBySite, liveBySite } from '../../src/load/index.js';
import type { SamplingProfile } from '../../src/load/index.js';

type Frame = SamplingProfile['head']['callFrame'];
const frame = (functionName: string, url = '', lineNumber = -1): Frame => ({
  functionName,
  url,
  lineNumber,
  columnNumber: lineNumber >= 0 ? 4 : -1,
});
const node = (callFrame: Frame, selfSize: number, children: SamplingProfile['head'][] = []) => ({
  callFrame,
  selfSize,
  children,
});

/** root → processTimers (node:) → leakTick (user) → push (builtin, allocates); plus a user site allocating itself. */
function profile(leakBytes: number, cacheBytes: number): SamplingProfile {
  return {
    head: node(frame('(root)'), 0, [
      node(frame('processTimers', 'node:internal/timers', 503), 0, [
        node(frame('leakTick', 'file:///app/leak.mjs', 18), 0, [node(frame('push'), leakBytes)]),
      ]),
      node(frame('fillCache', 'file:///app/cache.mjs', 4), cacheBytes),
    ]),
  };
}

describe('allocation sites from sampling heap profiles', () => {
  it('names the innermost user frame, and the builtin that allocated for it', () => {
    const sites = [...liveBySite(profile(1000, 50)).values()];
    expect(sites).toEqual([
      { site: 'leakTick (file:///app/leak.mjs:19:5)', via: 'push', bytes: 1000 },
      { site: 'fillCache (file:///app/cache.mjs:5:5)', bytes: 50 },
    ]);
  });

  it('diffs two profiles into the sites that retained more, largest first', () => {
    const grown = growthBySite(profile(1000, 50), profile(5000, 40));
    expect(grown).toEqual([
      { site: 'leakTick (file:///app/leak.mjs:19:5)', via: 'push', bytes: 5000, growthBytes: 4000 },
    ]);
    expect(growthBySite(undefined, profile(10, 20))[0]).toMatchObject({
      site: 'fillCache (file:///app/cache.mjs:5:5)',
      growthBytes: 20,
    });
    expect(growthBySite(profile(1, 1), profile(9, 9), 1)).toHaveLength(1);
  });
});
