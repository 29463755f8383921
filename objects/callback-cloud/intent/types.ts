/** What the intent analysis engine is given (a provider's intents) and what it answers. */
export interface IntentDefinition {
  name: string;
  description: string;
  skills: Record<string, number>;
  priority: number;
  examples: string[];
}

export interface IntentAnalysis {
  intent: { name: string; confidence: number };
  skills: Record<string, number>;
  priority: number;
  urgency: string[];
  language: string;
  alternatives: { name: string; confidence: number }[];
}

export interface IntentEngine {
  analyze(text: string, language?: string): IntentAnalysis;
}

/** The intent of a reason the engine cannot place: it goes to the provider's generalists. */
export const UNKNOWN_INTENT = "unknown";
