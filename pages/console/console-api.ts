/** What the console reads: the mesh (every second), the service figures and the agents per site (every few seconds). */
import { callApi } from "../shared/api.ts";

export interface MeshMember {
  siteId: string;
  peerId: string;
  trust: string;
  exposure: string;
  health: "up" | "stale" | "down";
  seq: number | null;
  digestAgeMs: number | null;
  agents: { total: number; available: number };
}

export interface Mesh {
  self: string;
  members: MeshMember[];
  peer: { peerId: string; connected: number; published: number; accepted: number; rejected: Record<string, number>; reportedAt: string } | null;
}

export interface Figures {
  byStatus: Record<string, number>;
  dueNextHour: number;
  late: number;
  failed: number;
  inWindowShare: number | null;
  meanWaitSeconds: number | null;
}

export interface Stats {
  at: string;
  periodHours: number;
  total: Figures;
  byProvider: (Figures & { providerId: string })[];
  bySite: (Figures & { siteId: string })[];
}

export interface SiteAgents {
  id: string;
  health: string;
  agents: { state: string; skills: { name: string; level: number }[] }[];
}

const AGENTS_QUERY = "{ sites { id health agents(first: 100) { state skills { name level } } } }";

export class ConsoleApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  mesh = () => callApi<Mesh>(this.base, "/v1/mesh", { token: this.token });
  stats = () => callApi<Stats>(this.base, "/v1/stats", { token: this.token });

  /** Agents per site from the federated schema; a member that did not answer is simply missing. */
  async agents(): Promise<SiteAgents[]> {
    const answer = await callApi<{ data?: { sites: (SiteAgents | null)[] } | null }>(this.base, "/graphql", {
      token: this.token,
      body: { query: AGENTS_QUERY },
      headers: { accept: "application/graphql-response+json, application/json" },
    });
    return (answer.data?.sites ?? []).filter((s): s is SiteAgents => s !== null);
  }
}

/** Agents of a site counted per skill and state: the console's table rows. Pure, for the page and its tests. */
export function agentsBySkillAndState(site: SiteAgents): { skill: string; byState: Record<string, number> }[] {
  const rows = new Map<string, Record<string, number>>();
  for (const a of site.agents) {
    const state = a.state.toLowerCase();
    for (const s of a.skills.length ? a.skills : [{ name: "(none)", level: 0 }]) {
      const row = rows.get(s.name) ?? {};
      row[state] = (row[state] ?? 0) + 1;
      rows.set(s.name, row);
    }
  }
  return [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([skill, byState]) => ({ skill, byState }));
}
