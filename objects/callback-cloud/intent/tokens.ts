/**
 * From a customer's text to the tokens the classifiers count: words in lower case,
 * contractions spelled out, English stop words dropped (the `stopword` package's list),
 * Porter stems (the `stemmer` package). Shared by the engine and the naive-Bayes
 * baseline, so the two differ only in what they do with the tokens.
 */
import { stemmer } from "stemmer";
import { eng } from "stopword";

export interface Token {
  /** The word as written, lower-cased and without apostrophes ("wont" → "will", "not"). */
  word: string;
  /** Its Porter stem, or the word itself for the placeholder of a long number. */
  stem: string;
}

/** Stands for any long number (an order, invoice or reference number): its digits say nothing, that there is one may. */
export const NUMBER = "#number";

const STOP = new Set(eng);
/** The English stop words (the `stopword` package's list). */
export const STOP_WORDS: ReadonlySet<string> = STOP;

// "won't"/"wont" → "will not": negations matter ("will not heat up") and customers drop the apostrophe.
const NEGATED: Record<string, string> = { wont: "will", cant: "can", dont: "do", doesnt: "does", didnt: "did", isnt: "is", arent: "are", wasnt: "was", werent: "were", havent: "have", hasnt: "has", hadnt: "had", couldnt: "could", wouldnt: "would", shouldnt: "should", aint: "is" };

// Contractions of stop words written without their apostrophe ("im", "whats"): spelled out, so they go with the stop words.
const RUN_TOGETHER: Record<string, string[]> = { im: ["i", "am"], ive: ["i", "have"], youre: ["you", "are"], youve: ["you", "have"], theyre: ["they", "are"], theyve: ["they", "have"], weve: ["we", "have"], thats: ["that", "is"], whats: ["what", "is"], theres: ["there", "is"], wheres: ["where", "is"], hows: ["how", "is"], whos: ["who", "is"], heres: ["here", "is"], lets: ["let", "us"] };
// The rest of a clitic, once split at its apostrophe ("i'll" → "i", "will").
const CLITIC: Record<string, string> = { m: "am", re: "are", ve: "have", ll: "will", d: "would" };

/** The words of a text, lower-cased, apostrophes and possessive 's dropped, contractions with "not" spelled out. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().replace(/[\u2018\u2019`´]/g, "'").match(/[a-z0-9]+(?:'[a-z]+)*/g) ?? []) {
    const [head, clitic] = raw.split("'", 2);
    if (clitic !== undefined && CLITIC[clitic] !== undefined) {
      out.push(head, CLITIC[clitic]);
      continue;
    }
    const word = (clitic === "s" ? head : raw).replace(/'/g, "");
    if (RUN_TOGETHER[word]) {
      out.push(...RUN_TOGETHER[word]);
      continue;
    }
    const negated = NEGATED[word] ?? (word.endsWith("nt") && word !== "nt" && raw.endsWith("n't") ? word.slice(0, -2) : undefined);
    if (negated !== undefined) out.push(negated, "not");
    else out.push(word);
  }
  return out;
}

/** The content tokens of a text, in order: no stop words, no short numbers (quantities), long numbers as NUMBER. */
export function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const word of words(text)) {
    if (STOP.has(word)) continue;
    if (/^\d+$/.test(word)) {
      if (word.length >= 4) out.push({ word, stem: NUMBER });
      continue;
    }
    if (word.length < 2) continue;
    out.push({ word, stem: stemmer(word) });
  }
  return out;
}

/** Stems only: what a bag-of-words classifier counts. */
export const stems = (text: string): string[] => tokens(text).map((t) => t.stem);
