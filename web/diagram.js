// The account machine drawn from its definition (`account.graph`): states on an
// ellipse, one arrow per (from, to) pair labelled with its events; the current
// state lit.
import { html } from '/ui/lib.js';

const W = 760;
const H = 360;

// Where the known states sit (the happy path along the top, failures below);
// a state this table does not know yet gets the next free slot on the bottom row.
const PLACES = {
  unlinked: [90, 60],
  linking: [320, 60],
  connected: [600, 60],
  connecting: [460, 180],
  'backing-off': [660, 300],
  'logged-out': [90, 300],
  degraded: [320, 300],
  stopped: [90, 180],
};

function layout(states) {
  const pos = {};
  let spare = 0;
  for (const s of states) {
    const p = PLACES[s] ?? [90 + 140 * spare++, H - 20];
    pos[s] = { x: p[0], y: p[1] };
  }
  return pos;
}

export function Diagram({ graph, current }) {
  if (!graph) return null;
  const pos = layout(graph.states);
  const edges = graph.edges.map((e) => {
    const a = pos[e.from];
    const b = pos[e.to];
    const label = e.events.join(', ');
    if (e.from === e.to) {
      return html`<g class="edge"><title>${e.from} → ${e.to}: ${label}</title>
        <path d=${`M ${a.x - 12} ${a.y - 16} C ${a.x - 40} ${a.y - 60}, ${a.x + 40} ${a.y - 60}, ${a.x + 12} ${a.y - 16}`} marker-end="url(#arrow)" />
        <text x=${a.x} y=${a.y - 50} class="elabel">${label}</text></g>`;
    }
    // Bend each arrow a little to its right, so A→B and B→A stay apart.
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const nx = -dy / len;
    const ny = dx / len;
    const mx = (a.x + b.x) / 2 + nx * 18;
    const my = (a.y + b.y) / 2 + ny * 18;
    const shrink = (p, q) => {
      const d = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: p.x + ((q.x - p.x) * 22) / d, y: p.y + ((q.y - p.y) * 16) / d };
    };
    const s = shrink(a, { x: mx, y: my });
    const t = shrink(b, { x: mx, y: my });
    return html`<g class="edge"><title>${e.from} → ${e.to}: ${label}</title>
      <path d=${`M ${s.x} ${s.y} Q ${mx} ${my} ${t.x} ${t.y}`} marker-end="url(#arrow)" />
      <text x=${mx} y=${my} class="elabel">${label}</text></g>`;
  });
  const nodes = graph.states.map((s) => {
    const p = pos[s];
    const lit = s === current;
    return html`<g class=${lit ? 'node lit' : 'node'} data-state=${s} data-current=${lit ? 'true' : 'false'}>
      <rect x=${p.x - 58} y=${p.y - 16} width="116" height="32" rx="16" />
      <text x=${p.x} y=${p.y + 5}>${s}</text></g>`;
  });
  const any = graph.fromAnyState.map((a) => `${a.events.join(', ')} → ${a.to}`).join(' · ');
  return html`<figure class="diagram">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`account machine, current state ${current}`} data-testid="diagram">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
      ${edges}${nodes}
    </svg>
    <figcaption>From any state: ${any}</figcaption>
  </figure>`;
}
