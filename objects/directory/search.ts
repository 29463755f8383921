/**
 * The directory's search: which listed providers a customer's words point to, and for
 * which of their intents (the patent's search integration; `GET /v1/directory` and the
 * MCP tool `find_provider` both ask it). Pure: an index of listings, and a ranked answer.
 *
 * Each provider is two kinds of document in one MiniSearch index: the provider itself
 * (its name, description and keywords) and each of its intents (name, description and the
 * examples it was trained on). Words are the intent engine's (stop words dropped, Porter
 * stems), so "my washer stopped spinning" meets "washing machine not spinning". A provider
 * scores its own document's score plus its best intent's; the intents shown are those
 * that scored at least half the best one's, best first.
 */
import MiniSearch from "minisearch";
import { stemmer } from "stemmer";
import { STOP_WORDS, words } from "../callback-cloud/intent/tokens.ts";

/** What a provider exposes to the directory (its registration decides: provider.ts `directory`). */
export interface Listing {
  providerId: string;
  name: string;
  description: string | null;
  keywords: string[];
  intents: { name: string; description: string; examples: string[] }[];
}

export interface DirectoryHit {
  providerId: string;
  name: string;
  /** The provider's intents the words point to, best first (empty when only the provider matched). */
  intents: string[];
  score: number;
}

/** The longest query read, in words: a longer one costs more and finds no better. */
export const MAX_QUERY_WORDS = 16;

interface Doc {
  id: string;
  providerId: string;
  /** Null for the provider's own document. */
  intent: string | null;
  title: string;
  text: string;
}

const termOf = (word: string): string | null => (STOP_WORDS.has(word) ? null : stemmer(word));

export type DirectoryIndex = MiniSearch<Doc>;

export function directoryIndex(listings: Iterable<Listing>): DirectoryIndex {
  const index = new MiniSearch<Doc>({
    fields: ["title", "text"],
    storeFields: ["providerId", "intent"],
    tokenize: (text) => words(text),
    processTerm: termOf,
  });
  const docs: Doc[] = [];
  for (const l of listings) {
    docs.push({ id: l.providerId, providerId: l.providerId, intent: null, title: l.name, text: [l.description ?? "", ...l.keywords].join(" \n ") });
    for (const i of l.intents) {
      docs.push({ id: `${l.providerId}#${i.name}`, providerId: l.providerId, intent: i.name, title: i.name.replace(/[-_]/g, " "), text: [i.description, ...i.examples].join(" \n ") });
    }
  }
  index.addAll(docs);
  return index;
}

/** The providers the words point to, best first, at most `limit`; names come from `nameOf`. */
export function searchDirectory(index: DirectoryIndex, query: string, limit: number, nameOf: (providerId: string) => string): DirectoryHit[] {
  const terms = words(query).slice(0, MAX_QUERY_WORDS);
  if (terms.length === 0) return [];
  const found = index.search(terms.join(" "), {
    boost: { title: 3 },
    // Typed as the customer types: the last word may be unfinished, and a word of five letters or
    // more misspelt by two (a swap of two letters is two edits: "retrun").
    prefix: (_term, i, all) => i === all.length - 1,
    fuzzy: (term) => (term.length >= 5 ? 0.34 : false),
    combineWith: "OR",
  });
  const byProvider = new Map<string, { own: number; intents: { name: string; score: number }[] }>();
  for (const r of found) {
    const providerId = r.providerId as string;
    const entry = byProvider.get(providerId) ?? { own: 0, intents: [] };
    byProvider.set(providerId, entry);
    if (r.intent === null) entry.own = r.score;
    else entry.intents.push({ name: r.intent as string, score: r.score });
  }
  const hits: DirectoryHit[] = [];
  for (const [providerId, e] of byProvider) {
    e.intents.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
    const best = e.intents[0]?.score ?? 0;
    hits.push({
      providerId,
      name: nameOf(providerId),
      intents: e.intents.filter((i) => i.score >= best / 2).map((i) => i.name),
      score: Math.round((e.own + best) * 100) / 100,
    });
  }
  hits.sort((a, b) => b.score - a.score || a.providerId.localeCompare(b.providerId));
  return hits.slice(0, limit);
}
