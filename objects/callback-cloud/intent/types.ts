/** What the intent analysis engine is given (a provider's intents) and what it answers. */
import { z } from "zod";

export interface IntentDefinition {
  name: string;
  description: string;
  skills: Record<string, number>;
  priority: number;
  examples: string[];
}

const ranked = z.strictObject({ name: z.string(), confidence: z.number() });

/** What the engine makes of a text: a zod schema, so the edge documents exactly this. */
export const intentAnalysisSchema = z
  .strictObject({
    intent: ranked,
    skills: z.record(z.string(), z.number().int()),
    priority: z.number().int(),
    urgency: z.array(z.string()),
    language: z.string(),
    alternatives: z.array(ranked),
  })
  .meta({ id: "IntentAnalysis", description: "The intent a text is about (`unknown` when none fits), the skills it needs, its priority and urgency cues." });
export type IntentAnalysis = z.infer<typeof intentAnalysisSchema>;

export interface IntentEngine {
  analyze(text: string, language?: string): IntentAnalysis;
}

/** The intent of a reason the engine cannot place: it goes to the provider's generalists. */
export const UNKNOWN_INTENT = "unknown";
