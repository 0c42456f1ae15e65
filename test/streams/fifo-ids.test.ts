import { describe, expect, it } from 'vitest';
import { createIdGenerator, Fifo } from '../../src/gateway/streams/index.js';

describe('Fifo', () => {
  it('keeps order across compaction and unshift', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    q.unshift(2999);
    expect(q.length).toBe(2001);
    expect(q.peek()).toBe(2999);
    expect([...q].slice(0, 3)).toEqual([2999, 3000, 3001]);
    let n = 0;
    while (q.shift() !== undefined) n++;
    expect(n).toBe(2001);
    expect(q.length).toBe(0);
  });
});

describe('createIdGenerator', () => {
  it('makes unique ids that sort in creation order, even if the clock steps back', () => {
    let t = 1_700_000_000_000;
    const clock = [t, t, t + 5, t + 1, t + 6];
    const next = createIdGenerator(() => clock.shift() ?? ++t);
    const ids = Array.from({ length: 1000 }, () => next());
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });

  it('gives engines started together ids that differ in an 8-character random node part', () => {
    const at = () => 1_700_000_000_000;
    const ids = Array.from({ length: 200 }, () => createIdGenerator(at)());
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{9}-00000-[0-9a-z]{8}$/);
    expect(new Set(ids).size).toBe(200);
  });
});
