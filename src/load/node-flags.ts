// The Node/V8 flags the load generator's processes (the Vitest forks that run scenarios)
// start with. conduitLoad (src/vitest/plugin.ts) passes them as Vitest's `execArgv`; worker
// threads inherit them.
//
// --min-semi-space-size=16 --max-semi-space-size=16: V8 starts the young generation at
// 1 MiB semi-spaces and grows it, under a load's allocation rate, to its cap — on this
// machine ~+29 MiB of committed heap, reached minutes into a run. A soak's generator RSS
// then rose +26 % after its warm-up (10-minute soak, docs/load-testing.md) and its own
// memory verdict said `growing`, though its heap after GC was flat. Fixed at the cap from
// the start, the young generation costs the same memory at once and never grows; pinned
// explicitly so the figure does not move with Node's defaults.
export const GENERATOR_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
