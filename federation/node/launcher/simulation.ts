/**
 * Keeps the local mesh alive: a few agents per site that log in, take calls, go on
 * breaks and log off, each move a legal one of the state machine, sent as the
 * status reports their desktops would send. Seeds the agents on first run only.
 */
import { TRANSITIONS } from "../../../objects/roster/state-machine.ts";
import type { AgentState, ReportableState } from "../../wire/vocabulary.ts";

/** Skill mixes of the simulated agents (the fixture provider's intents); benchmarks reuse them. */
export const SKILL_SETS: Record<string, number>[] = [
  { appliance_repair: 5, warranty: 3 },
  { appliance_repair: 3, installation: 2, scheduling: 2 },
  { billing: 4, returns: 3, account: 2 },
  { orders: 3, returns: 2, sales: 3 },
  { sales: 4, warranty: 2, account: 1 },
];
const LANGUAGES: Record<string, string[]> = { paris: ["fr", "en"], austin: ["en", "es"], manila: ["en", "tl"] };

export interface Simulation {
  stop(): void;
}

export async function startSimulation(
  sites: Record<string, string>,
  adminToken: string,
  options: { intervalMs?: number; log?: (message: string) => void } = {},
): Promise<Simulation> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const agents: { url: string; id: string; state: AgentState }[] = [];
  for (const [siteId, url] of Object.entries(sites)) {
    const roster = (await (await fetch(`${url}/v1/agents`, { headers })).json()) as { agents: { id: string; state: AgentState }[] };
    if (roster.agents.length === 0) {
      for (const [i, skills] of SKILL_SETS.entries()) {
        const id = `${siteId}-agent-${i + 1}`;
        const body = { name: `${siteId} agent ${i + 1}`, skills, channels: ["voice", "sms", "email"], languages: LANGUAGES[siteId] ?? ["en"], capacity: 1 };
        await fetch(`${url}/v1/agents/${id}`, { method: "PUT", headers, body: JSON.stringify(body) });
        roster.agents.push({ id, state: "offline" });
      }
    }
    for (const a of roster.agents) agents.push({ url, id: a.id, state: a.state });
  }

  const move = async () => {
    const agent = agents[Math.floor(Math.random() * agents.length)];
    const choices = TRANSITIONS[agent.state];
    // Lean towards being available, so the mesh has someone to call back with.
    const next: ReportableState = choices.includes("available") && Math.random() < 0.5 ? "available" : choices[Math.floor(Math.random() * choices.length)];
    const until = next === "break" ? new Date(Date.now() + 60_000 * (5 + Math.floor(Math.random() * 10))).toISOString() : undefined;
    const res = await fetch(`${agent.url}/v1/agents/${agent.id}/status`, { method: "POST", headers, body: JSON.stringify({ state: next, until }) });
    if (res.ok) agent.state = next;
    else if (res.status === 409) agent.state = ((await res.json()) as { error: { details: { from: AgentState } } }).error.details.from;
  };
  // Everyone logs in first; then one move at a time.
  for (const a of agents) {
    if (a.state === "offline" || a.state === "unreachable") {
      const res = await fetch(`${a.url}/v1/agents/${a.id}/status`, { method: "POST", headers, body: JSON.stringify({ state: "available" }) });
      if (res.ok) a.state = "available";
    }
  }
  const timer = setInterval(() => {
    move().catch((error: unknown) => options.log?.(`simulation: ${error instanceof Error ? error.message : String(error)}`));
  }, options.intervalMs ?? 2_000);
  timer.unref();
  // Heartbeats, so the monitor does not mark the simulated agents unreachable.
  const heartbeat = setInterval(() => {
    for (const a of agents) void fetch(`${a.url}/v1/agents/${a.id}/heartbeat`, { method: "POST", headers }).catch(() => {});
  }, 10_000);
  heartbeat.unref();
  return {
    stop() {
      clearInterval(timer);
      clearInterval(heartbeat);
    },
  };
}
