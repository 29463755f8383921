/**
 * The intent analysis seam the callback cloud uses: what an engine is given and answers
 * (intent/types.ts) and the local engine (intent/engine.ts). A hosted model can stand in
 * front of it in production (intent/hosted.ts), off by default.
 */
export type { IntentAnalysis, IntentDefinition, IntentEngine } from "./intent/types.ts";
export { intentAnalysisSchema, UNKNOWN_INTENT } from "./intent/types.ts";
export { trainIntentEngine } from "./intent/engine.ts";
