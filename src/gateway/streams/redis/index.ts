// Public entry of the redis streams backend (CONDUIT_STREAMS_BACKEND=redis).
export { RedisStreamsEngine, type RedisEngineOptions } from './engine.js';
export { streamKeys, GROUP, type StreamKeys } from './keys.js';
