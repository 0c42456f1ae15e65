// Setup file the plugin registers (test.setupFiles): the Conduit threshold matchers
// (toHaveLatencyPercentileBelow, toHaveErrorRateBelow, toHaveStableMemory, …) in every
// scenario file, so scenarios do not call installMatchers() themselves.
import { installMatchers } from '../load/index.js';

installMatchers();
