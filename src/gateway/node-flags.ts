// The Node/V8 flags the gateway runs with. `npm start`, the load harness's managed
// gateway (src/load/internal/gateway-command.ts) and the uploads bench pass them; a test
// keeps package.json's start script in step with this list.
//
// --max-semi-space-size=4: under upload load V8 grows its young generation to its
// default cap, two 16 MiB semi-spaces, and keeps it. Capped at 4 MiB the gateway's peak
// RSS during 100 concurrent 10 MB uploads measured ~20 MiB lower, and its upload
// throughput no lower (docs/blobs.md, "Benchmark"). A runtime v8.setFlagsFromString
// cannot do this: the cap is read when the heap is set up.

export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The flags of GATEWAY_NODE_FLAGS this process was started without (on its command line or in NODE_OPTIONS). */
export function missingNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)]);
  return GATEWAY_NODE_FLAGS.filter((flag) => !given.has(flag));
}
