/**
 * The classifier's parameters (classifier.ts): how much each of its views weighs, and
 * where its thresholds lie. The defaults were chosen on leave-one-out over the acme
 * fixture's examples, a change kept only when it did not lose ground on the first
 * labelled set either (see the README).
 */
export interface ClassifierParams {
  /** How many examples an intent's name, and its description, count for. */
  nameWeight: number;
  descriptionWeight: number;
  /** Laplace smoothing of the stem counts. */
  smoothing: number;
  /** Cosine under which a training word is no neighbour of an unseen word. */
  neighbourFloor: number;
  /** How many nearest training stems stand for an unseen word. */
  neighbours: number;
  /** Under this cosine between a word and the training words of its stem, the stem match is an accident ("installments" is not "installation"). */
  collision: number;
  /** Weight of the nearest-examples score beside the naive-Bayes log-likelihood. */
  exampleWeight: number;
  /** How many closest examples make an intent's nearest-examples score. */
  closestExamples: number;
  /** Log-odds a hazard adds to the intents that speak of safety. */
  hazardWeight: number;
  /** Weight of the closeness of the reason's words to each intent's name and description words. */
  anchorWeight: number;
  /** Frequency rank at which a word weighs half in the anchor score (common words such as "something" say little). */
  commonRank: number;
  /** Weight of a WordNet relation between an unseen word and a training word, beside the vectors' cosine (0: no lexicon). */
  lexiconWeight: number;
  /** Relatedness under which a training word is no lexical neighbour of an unseen word. */
  lexiconFloor: number;
  /** Weight of a WordNet relation between a reason's word and an intent's name and description words, in the anchor score. */
  lexiconAnchorWeight: number;
  /** Weight of the soft word-overlap view (Mihalcea et al. 2006): each example against the reason, word by word. */
  overlapWeight: number;
  /** Cosine under which two words' vectors make them unrelated in the overlap view; above it, rescaled to 0..1. */
  overlapFloor: number;
  /** How many closest examples make an intent's overlap score. */
  overlapClosest: number;
  /** Whether a reason's word relates to a word more specific than it (see lexicon.ts `relatedness`). */
  broaderWords: boolean;
  /** Count question words ("where", "which", "how much") as features. */
  questionWords: boolean;
}

export const DEFAULT_PARAMS: ClassifierParams = {
  nameWeight: 3,
  descriptionWeight: 1,
  smoothing: 1,
  neighbourFloor: 0.4,
  neighbours: 3,
  collision: 0.1,
  exampleWeight: 3.5,
  closestExamples: 3,
  hazardWeight: 2,
  anchorWeight: 1,
  commonRank: 300,
  lexiconWeight: 1,
  lexiconFloor: 0.7,
  lexiconAnchorWeight: 2,
  overlapWeight: 1.5,
  overlapFloor: 0.3,
  overlapClosest: 3,
  broaderWords: false,
  questionWords: true,
};
