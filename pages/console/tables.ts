/** The console's tables: members and their health, service figures, agents per skill and state. */
import { html } from "../shared/html.ts";
import type { Figures, Mesh, Stats } from "./console-api.ts";

const STATES = ["available", "busy", "on_call", "wrap_up", "break", "offline", "unreachable"];
/** Columns of the callbacks table: statuses grouped so the table fits a laptop's width; each cell's title has the parts. */
const COLUMNS: { name: string; statuses: string[] }[] = [
  { name: "open", statuses: ["pending", "scheduled", "dialing", "connected", "retrying"] },
  { name: "completed", statuses: ["completed"] },
  { name: "answered", statuses: ["answered"] },
  { name: "failed", statuses: ["failed"] },
  { name: "cancelled", statuses: ["cancelled"] },
  { name: "expired", statuses: ["expired"] },
];

const age = (ms: number | null) => (ms === null ? "—" : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const share = (x: number | null) => (x === null ? "—" : `${Math.round(x * 100)}%`);
const wait = (s: number | null) => (s === null ? "—" : s < 120 ? `${s} s` : `${Math.round(s / 60)} min`);

export function MeshTable(props: { mesh: Mesh }) {
  const { members, peer } = props.mesh;
  return html`<section class="card" aria-labelledby="mesh-title">
    <h2 id="mesh-title">Mesh</h2>
    <table>
      <caption class="sr-only">Members of the mesh and their health</caption>
      <thead><tr><th>Site</th><th>Health</th><th class="num">Digest age</th><th class="num">Seq</th><th>Trust</th><th>Exposure</th><th class="num">Agents available / total</th></tr></thead>
      <tbody>${members.map(
        (m) => html`<tr data-site=${m.siteId} data-health=${m.health}>
          <th scope="row">${m.siteId}</th>
          <td><span class=${`badge health-${m.health}`}>${m.health}</span></td>
          <td class="num">${age(m.digestAgeMs)}</td><td class="num">${m.seq ?? "—"}</td>
          <td>${m.trust}</td><td>${m.exposure}</td>
          <td class="num">${m.agents.available} / ${m.agents.total}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${peer
      ? html`<p class="muted">Gossip (this node's peer): ${peer.connected} connected, ${peer.published} published, ${peer.accepted} accepted, refused: ${
          Object.entries(peer.rejected).map(([why, n]) => `${why} ${n}`).join(", ") || "none"}</p>`
      : html`<p class="muted">This node's peer has not reported.</p>`}
  </section>`;
}

function figureRow(name: string, f: Figures) {
  return html`<tr>
    <th scope="row">${name}</th>
    ${COLUMNS.map(
      (c) => html`<td class="num" title=${c.statuses.map((s) => `${s} ${f.byStatus[s] ?? 0}`).join(", ")}>${c.statuses.reduce((n, s) => n + (f.byStatus[s] ?? 0), 0)}</td>`,
    )}
    <td class="num">${f.dueNextHour}</td><td class="num">${f.late}</td>
    <td class="num">${share(f.inWindowShare)}</td><td class="num">${wait(f.meanWaitSeconds)}</td>
  </tr>`;
}

export function FiguresTable(props: { stats: Stats }) {
  const { stats } = props;
  return html`<section class="card" aria-labelledby="figures-title">
    <h2 id="figures-title">Callbacks</h2>
    <div class="scroll">
    <table>
      <caption class="muted">Share in window and mean wait: callbacks asked for in the last ${stats.periodHours} h</caption>
      <thead><tr><th>Who</th>${COLUMNS.map((c) => html`<th class="num" title=${c.statuses.join(", ")}>${c.name}</th>`)}
        <th class="num">due within 1 h</th><th class="num">late</th><th class="num">in window</th><th class="num">mean wait</th></tr></thead>
      <tbody>
        ${figureRow("all", stats.total)}
        ${stats.byProvider.map((p) => figureRow(`provider ${p.providerId}`, p))}
        ${stats.bySite.map((s) => figureRow(`site ${s.siteId}`, s))}
      </tbody>
    </table>
    </div>
  </section>`;
}

/** Agents per skill and state at each member, as its latest digest lists them (what it exposes to the federation). */
export function AgentsTable(props: { mesh: Mesh }) {
  return html`<section class="card" aria-labelledby="agents-title">
    <h2 id="agents-title">Agents per skill and state</h2>
    <p class="muted">As each member's latest digest lists them: the agents it shares with the federation.</p>
    ${props.mesh.members.map(
      (m) => html`<h3>${m.siteId} <span class=${`badge health-${m.health}`}>${m.health}</span></h3>
        <div class="scroll">
        <table>
          <caption class="sr-only">Agents at ${m.siteId} per skill and state</caption>
          <thead><tr><th>Skill</th>${STATES.map((s) => html`<th class="num">${s.replace("_", " ")}</th>`)}</tr></thead>
          <tbody>${Object.entries(m.agents.bySkill)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([skill, byState]) => html`<tr><th scope="row">${skill}</th>${STATES.map((s) => html`<td class="num">${byState[s] ?? 0}</td>`)}</tr>`)}</tbody>
        </table>
        </div>`,
    )}
  </section>`;
}
