/** What the desk reads and does at the edge, as the signed-in agent (routes: /v1/desk, /v1/callbacks). */
import { callApi } from "../shared/api.ts";

export interface HistoryEvent {
  at: string;
  type: string;
  detail: Record<string, unknown>;
}

export interface StaffCallback {
  confirmation: string;
  status: string;
  scheduledFor: string | null;
  window: { start: string; end: string };
  channel: string;
  intent: string;
  attempts: { n: number; channel: string; outcome: string | null }[];
  history: HistoryEvent[];
  answer: string | null;
  contact?: { phone?: string; email?: string };
  reason?: string;
  notes?: string | null;
  priority?: number;
}

export interface DeskCallback {
  providerId: string;
  callback: StaffCallback;
  analysis: { intent: { name: string; confidence: number }; urgency: string[]; priority: number; skills: Record<string, number>; language: string };
  previous: { confirmation: string; status: string; createdAt: string; reason: string; answer: string | null }[];
}

export interface AgentState {
  id: string;
  name: string;
  state: string;
  until: string | null;
  expectedAvailableAt: string | null;
  skills: Record<string, number>;
}

export interface Desk {
  agent: AgentState | null;
  callbacks: DeskCallback[];
}

export const REPORTABLE_STATES = ["available", "busy", "wrap_up", "break", "on_call", "offline"] as const;
export const OUTCOMES = ["resolved", "unresolved", "follow_up", "no_show"] as const;

export class DeskApi {
  constructor(
    private readonly base: string,
    readonly token: string,
  ) {}

  desk = () => callApi<Desk>(this.base, "/v1/desk", { token: this.token });
  status = (state: string, until?: string) =>
    callApi<AgentState>(this.base, "/v1/desk/status", { token: this.token, body: until ? { state, until } : { state } });
  heartbeat = () => callApi<null>(this.base, "/v1/desk/heartbeat", { token: this.token, method: "POST" });

  private act = (confirmation: string, action: string, body: unknown) =>
    callApi<StaffCallback>(this.base, `/v1/callbacks/${encodeURIComponent(confirmation)}/${action}`, { token: this.token, body });

  annotate = (c: string, text: string) => this.act(c, "annotations", { text });
  answer = (c: string, text: string) => this.act(c, "answer", { text });
  transfer = (c: string, to: { skill?: string; siteId?: string }) => this.act(c, "transfer", to);
  complete = (c: string, outcome: string, notes?: string) => this.act(c, "complete", notes ? { outcome, notes } : { outcome });
}
