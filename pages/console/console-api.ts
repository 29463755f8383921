/** What the console reads, every second: the mesh (members, health, agents per skill and state from their digests) and the service figures. */
import { callApi } from "../shared/api.ts";

export interface MeshMember {
  siteId: string;
  peerId: string;
  trust: string;
  exposure: string;
  health: "up" | "stale" | "down";
  seq: number | null;
  digestAgeMs: number | null;
  agents: { total: number; available: number; bySkill: Record<string, Partial<Record<string, number>>> };
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

export class ConsoleApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  mesh = () => callApi<Mesh>(this.base, "/v1/mesh", { token: this.token });
  stats = () => callApi<Stats>(this.base, "/v1/stats", { token: this.token });
}
