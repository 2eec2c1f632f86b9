// A consumer of the installed package, type-checked with `tsc --noEmit --strict`: every public
// shape is typed, so mistakes below would not compile.
import init, {
  World, Rules, Session, Logic, XmarksWorker, generateHunt, generateTeamHunt, teamWalkthrough, walkthrough, replay, applyLogic, checkRules, parseTemplate, isXmarksError, GameClock,
  Hunt, type HuntData, type Outcome, type GameEvent, type State, type ErrorCode, type TemplateInput, type RuleProblem,
  type WorkerWorld, type WorkerProgress, type ImportProgress, type SitePoints, type Stage, type Json, type Replay, type Template, type NearSite, type Position, type Space,
  type Team, type MemberState,
} from "xmarks";

export async function main(): Promise<string> {
  await init();
  const world: World = World.procedural(7, { terrain: { sea_level: -0.1 } });
  const input: TemplateInput = { id: "harbour", stages: 3, difficulty: 2, clue_styles: ["landmark"] };
  const template: Template = parseTemplate(input);
  const hunt: Hunt = generateHunt(world, template, { game: 1, round: 2 }, { id: "ann", start: { x: 0, y: 0 } });
  const first: string = hunt.stages[0].clue.text;
  const pointer = hunt.stages[0].clue.pointer;
  const from: string = pointer.style === "landmark" ? pointer.landmark.name : pointer.style;
  const points: SitePoints = world.sitePoints({ min: { x: -100, y: -100 }, max: { x: 100, y: 100 } });
  const xs: Float64Array = points.xy;
  const raster: Uint8Array = world.biomeRaster({ min: { x: -100, y: -100 }, max: { x: 100, y: 100 } }, 4, 4);

  // An Earth world: positions are { lon, lat }, events may report the device's accuracy.
  const earth: World = World.importCsv("id,lon,lat,kind,name\na,-21.94,64.146,well,Old Well\nb,-21.93,64.147,well,New Well\n");
  const space: Space = earth.space();
  const near: NearSite[] = earth.nearest({ lon: -21.94, lat: 64.146 }, 1, ["well"]);
  const metres: number = near[0].distance;
  const at: Position = { lon: -21.94, lat: 64.146 };
  const step: GameEvent = { type: "move", t: 1000, ...at, accuracy: 8 };
  void step;
  earth.free();

  // A team's hunt and session: events name their member; the state keeps each member's.
  const team: Team = { id: "red", start: { x: 0, y: 0 }, members: [{ id: "ann" }, { id: "bob", level: 2 }] };
  const teamHunt: Hunt = generateTeamHunt(world, { ...input, max_team: 4 }, { game: 1, round: 2 }, team);
  const crew = new Session(teamHunt, Rules.default(), 0);
  const together: GameEvent[] = teamWalkthrough(teamHunt, 0);
  for (const event of together) crew.apply(event);
  crew.apply({ type: "tick", t: 1e9 });
  const bob: MemberState | undefined = crew.state().members?.bob;
  const finder: string | undefined = crew.state().finds?.[0]?.member;
  void bob;
  void finder;
  crew.free();

  const clock = new GameClock(0);
  const session = new Session(hunt, Rules.default(), clock.now());
  // A hunt received as data (a server's JSON) opens sessions as it is, or as a Hunt read once.
  const received: HuntData = JSON.parse(JSON.stringify(hunt));
  const again: Hunt = Hunt.from(received);
  new Session(received, Rules.default(), 0).free();
  new Session(again, Rules.default(), 0).free();
  again.free();
  const log: string[] = [session.logHeader()];
  let outcomes: Outcome[] = [];
  const events: GameEvent[] = walkthrough(hunt, 0);
  for (const event of events) {
    outcomes = outcomes.concat(session.apply(event));
    const line = session.logLine();
    if (line !== undefined) log.push(line);
  }
  const points2 = outcomes.filter((o): o is Extract<Outcome, { type: "points" }> => o.type === "points");
  const state: State = session.state();
  const current: Stage | null = session.currentStage();
  try {
    session.apply({ type: "tick", t: 0 });
  } catch (e) {
    // No cast: the guard narrows `unknown` to `XmarksError`.
    if (!isXmarksError(e)) throw e;
    const code: ErrorCode = e.code;
    void code;
  }
  // The package's own interfaces are JsonLogic data as they are.
  const seq: Json = applyLogic({ var: "seq" }, state);
  const replayed: Replay = replay(log.join("\n"));
  const problems: RuleProblem[] = checkRules({ id: "r", rules: [{ id: "a", on: ["dig"], then: [{ add_points: 5 }] }] });
  const value: Json = applyLogic({ "+": [1, { var: "a" }] }, { a: 2 });
  const logic = new Logic({ "<": [{ var: "x" }, 3] });
  const small: Json = logic.apply({ x: 1 });
  logic.free();
  session.free();
  replayed.session.free();
  world.free();
  return [first, from, xs.length, raster.length, points2.length, state.status, problems.length, value, small, space, metres, seq, current?.number ?? "over"].join(" ");
}

/** The worker helper, typed: worlds answer with promises of `World`'s own types. */
export async function offThread(csv: Uint8Array, log: string): Promise<number> {
  const xw = new XmarksWorker();
  let shown = 0;
  xw.addEventListener("progress", (e) => { const p: WorkerProgress = e.detail; shown = p.done / p.total; });
  const world: WorkerWorld = await xw.importCsv(csv, { lenient: true }, (p: ImportProgress) => { shown = p.done; });
  const near: NearSite[] = await world.nearest({ lon: 0, lat: 0 }, 5, ["museum"]);
  const hunt: HuntData = await world.generateHunt({ id: "t", stages: 3 }, { game: 1, round: 1 }, { id: "a", start: { lon: 0, lat: 0 } });
  const replayed: Replay = await xw.replay(log, (p) => { shown = p.done; });
  const kinds: string[] = world.info.kinds;
  await world.free();
  xw.terminate();
  replayed.session.free();
  return near.length + hunt.stages.length + kinds.length + shown;
}
