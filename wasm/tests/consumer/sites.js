// Inputs of the worker helper's test, shared by the consumer's page and the Node test that
// computes what the page must show: a planar CSV of sites, and a long session log's events.

/** `n` sites on a 10 km square, from a fixed generator: `id,x,y,kind,name`. */
export function sitesCsv(n = 50_000) {
  let s = 7;
  const next = () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const kinds = ["well", "statue", "tree", "bench"];
  const rows = ["id,x,y,kind,name"];
  for (let i = 0; i < n; i++) rows.push(`s${i},${(next() * 10_000 - 5_000).toFixed(1)},${(next() * 10_000 - 5_000).toFixed(1)},${kinds[i % 4]},Site ${i}`);
  return rows.join("\n");
}

export const TEMPLATE = { id: "city", stages: 3, kinds: ["well", "statue", "tree", "bench"] };
export const SEEDS = { game: 1, round: 1 };
export const PLAYER = { id: "ann", start: { x: 0, y: 0 } };
/** A log made long by ticks before the walk: 20,000 of them, one a millisecond. */
export const TICKS = 20_000;

/** Plays `hunt` on `session` (ticks, then the walkthrough) and returns its log. */
export function playLog(session, walkthrough, hunt) {
  const log = [session.logHeader()];
  for (let t = 1; t <= TICKS; t++) {
    session.apply({ type: "tick", t });
    log.push(session.logLine());
  }
  for (const event of walkthrough(hunt, TICKS)) {
    session.apply(event);
    log.push(session.logLine());
  }
  return log.join("\n");
}

export const BAD_CSV = "id,x,y,kind,name\ns1,0,0,well,A\ns2,east,0,well,B\n";
