// The gateway's Node flags: `npm start` passes every one of them (package.json is kept in
// step with src/gateway/node-flags.ts), the load harness's managed gateway does too, and
// a process started without them knows which are missing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS, missingNodeFlags } from '../../src/gateway/node-flags.js';
import { gatewayCommand } from '../../src/load/internal/gateway-command.js';

const root = new URL('../../', import.meta.url);

describe('gateway node flags', () => {
  it('npm start and npm run dev pass every flag before the script', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(GATEWAY_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(scripts.start).toBe(`node ${GATEWAY_NODE_FLAGS.join(' ')} dist/gateway/cli.js`);
    expect(scripts.dev).toBe(`tsx watch ${GATEWAY_NODE_FLAGS.join(' ')} src/gateway/cli.ts`);
  });

  it('the managed gateway of the load harness gets them too', () => {
    const cmd = gatewayCommand(new URL('.', root).pathname, 'tsx', GATEWAY_NODE_FLAGS);
    expect(cmd.args.slice(0, GATEWAY_NODE_FLAGS.length)).toEqual([...GATEWAY_NODE_FLAGS]);
  });

  it('names the flags a process was started without, from its command line or NODE_OPTIONS', () => {
    expect(missingNodeFlags([], '')).toEqual([...GATEWAY_NODE_FLAGS]);
    expect(missingNodeFlags([...GATEWAY_NODE_FLAGS], '')).toEqual([]);
    expect(missingNodeFlags(['--import', 'tsx'], `--enable-source-maps ${GATEWAY_NODE_FLAGS.join(' ')}`)).toEqual([]);
  });
});
