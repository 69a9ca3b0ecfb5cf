/**
 * Bumped whenever buildSynthGguf's output changes for the same options.
 * Written as `aq.synth.version`; callers that cache synthetic models on disk
 * should put it in the cache key.
 */
export const SYNTH_GENERATOR_VERSION = 1;
