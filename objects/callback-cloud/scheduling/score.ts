/**
 * Scoring one (callback, agent, start): higher is better, comparable across callbacks.
 * What each term means, and the formula, are documented with the weights (weights.ts).
 */
import type { MeshAgent, SiteInfo } from "./candidates.ts";
import { ASAP_HALF_LIFE_MS, type Weights } from "./weights.ts";
import type { CallbackNeed } from "./types.ts";

export interface Terms {
  skill: number;
  availability: number;
  language: number;
  previousAgent: number;
  freshness: number;
  load: number;
  cost: number;
  keep: number;
}

const TERM_KEYS = ["skill", "availability", "language", "previousAgent", "freshness", "load", "cost", "keep"] as const;

/** Skill fit: meeting the level is 0.6, up to 1 at level 5; below it stays under 0.3. */
export function skillTerm(level: number, required: number): number {
  const req = Math.min(5, Math.max(1, required));
  if (level >= req) return req >= 5 ? 1 : 0.6 + (0.4 * (Math.min(level, 5) - req)) / (5 - req);
  return (0.3 * Math.max(0, level)) / req;
}

/** Asap: halves every ASAP_HALF_LIFE_MS of waiting; a timed window: 1 at its start, 0.75 at its end. */
export function availabilityTerm(need: CallbackNeed, startMs: number): number {
  const wait = Math.max(0, startMs - need.earliestMs);
  if (need.asap) return Math.pow(0.5, wait / ASAP_HALF_LIFE_MS);
  const span = need.latestStartMs - need.earliestMs;
  return span <= 0 ? 1 : 1 - 0.25 * Math.min(1, wait / span);
}

/** 1 / (1 + callbacks per agent held at the site, this plan's included). */
export function loadTerm(site: SiteInfo): number {
  return 1 / (1 + (site.held + site.placed) / Math.max(1, site.agents));
}

/** How much an urgent callback's placement counts: 1 for priority 5, up to 1 + weight/100 for priority 1. */
export function priorityFactor(priority: number, weights: Weights): number {
  const p = Math.min(5, Math.max(1, priority));
  return 1 + ((weights.priority / 100) * (5 - p)) / 4;
}

/** Each term of the score, in [0, 1]: what explains a choice. scorerFor computes the same sum, faster. */
export function termsOf(need: CallbackNeed, a: MeshAgent, startMs: number): Terms {
  const agent = a.agent;
  const siteId = a.site.siteId;
  const prev = need.previousAgent;
  const cur = need.current;
  return {
    skill: skillTerm(agent.skills[need.skill] ?? 0, need.level),
    availability: availabilityTerm(need, startMs),
    language: need.language === undefined || agent.languages.includes(need.language) ? 1 : 0,
    previousAgent: prev && prev.siteId === siteId && prev.agentId === agent.ref ? 1 : 0,
    freshness: a.site.freshness,
    load: loadTerm(a.site),
    cost: 1 - a.site.costTier / 3,
    keep: cur && cur.siteId === siteId && cur.agentId === agent.ref ? 1 : 0,
  };
}

/**
 * The score of one callback on any agent: priorityFactor × (1 + Σ wₖ·termₖ / Σ wₖ), serving
 * at all worth 1 and the fit up to 1 more, with what depends on the callback alone worked
 * out once: a plan scores a callback against thousands of agents. Same formula as termsOf.
 */
export function scorerFor(need: CallbackNeed, weights: Weights): (a: MeshAgent, startMs: number) => number {
  let total = 0;
  for (const k of TERM_KEYS) total += weights[k];
  const factor = priorityFactor(need.priority, weights);
  // Each weight as a share of the fit, scaled by the priority factor.
  const w = (k: keyof Terms) => (total > 0 ? (factor * weights[k]) / total : 0);
  const [wSkill, wAvail, wLang, wPrev, wFresh, wLoad, wCost, wKeep] = TERM_KEYS.map(w);
  const { skill, level, language, previousAgent: prev, current: cur } = need;
  return (a, startMs) => {
    const agent = a.agent;
    const site = a.site;
    let score = factor;
    score += wSkill * skillTerm(agent.skills[skill] ?? 0, level);
    score += wAvail * availabilityTerm(need, startMs);
    if (language === undefined || agent.languages.includes(language)) score += wLang;
    if (prev && prev.agentId === agent.ref && prev.siteId === site.siteId) score += wPrev;
    score += wFresh * site.freshness;
    score += wLoad * loadTerm(site);
    score += wCost * (1 - site.costTier / 3);
    if (cur && cur.agentId === agent.ref && cur.siteId === site.siteId) score += wKeep;
    return score;
  };
}

/** What a site is told when it chooses among its own agents for a callback (no agent named). */
export interface SiteChoice {
  skill: string;
  level: number;
  language?: string;
  /** The ref of the agent the customer spoke to last, at this site. */
  previousAgent?: string;
}

/**
 * How well one of a site's agents fits, for the site's own choice at one start: the
 * agent's terms of the score above (skill, language, previous agent), weighted alike.
 * The terms of the site (freshness, load, cost) and of the start are the same for every
 * agent it could choose, so this orders them as the full score would.
 */
export function agentFit(choice: SiteChoice, agent: { ref: string; skills: Readonly<Record<string, number>>; languages: readonly string[] }, weights: Weights): number {
  let fit = weights.skill * skillTerm(agent.skills[choice.skill] ?? 0, choice.level);
  if (choice.language === undefined || agent.languages.includes(choice.language)) fit += weights.language;
  if (choice.previousAgent !== undefined && choice.previousAgent === agent.ref) fit += weights.previousAgent;
  return fit;
}
