// A session as a game's UI reads it: the stage being played, as the walk goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { xmarks } from "./common.mjs";

const { World, Rules, Session, generateHunt, walkthrough } = xmarks;

test("currentStage is the stage being played, and null once the hunt is over", () => {
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "t", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  const session = new Session(hunt, Rules.default(), 0);
  const seen = [session.currentStage()?.number];
  for (const event of walkthrough(hunt, 0)) {
    session.apply(event);
    const stage = session.currentStage();
    if (stage !== null) assert.deepEqual(stage, hunt.stages[session.state().stage]);
    if (seen.at(-1) !== stage?.number) seen.push(stage?.number);
  }
  assert.deepEqual(seen, [1, 2, 3, 4, undefined]);
  assert.equal(session.currentStage(), null);
  assert.equal(session.state().status, "completed");
  session.free();
  world.free();
});

test("a GameClock stamps events at the player's real pace, so walking is never too fast", () => {
  const { GameClock, isXmarksError } = xmarks;
  let ms = 5_000.4; // the monotonic source's own origin, anywhere
  const clock = new GameClock(1_000, () => ms);
  assert.equal(clock.now(), 1_000);
  ms += 1_500.9;
  assert.equal(clock.now(), 2_500);
  ms -= 700; // a source that steps back: times never do
  assert.equal(clock.now(), 2_500);
  assert.throws(() => new GameClock(-1), (e) => isXmarksError(e) && e.code === "input_invalid" && e.path === "startedMs");

  // The walkthrough's moves, each stamped when it happens on a simulated clock that runs at the
  // walk's pace: all accepted, and the hunt finishes.
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "t", stages: 3 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  let now = 12_345.6; // a monotonic clock's reading when the session opens
  const game = new GameClock(0, () => now);
  const session = new Session(hunt, Rules.default(), game.now());
  for (const event of walkthrough(hunt, 0)) {
    now = 12_345.6 + event.t; // the player takes as long to get there as the scripted walk does
    session.apply({ ...event, t: game.now() });
  }
  assert.equal(session.state().status, "completed");
  // Without a clock (a page that stamps a step at 0), walking to the first stage is refused.
  const hurried = new Session(hunt, Rules.default(), 0);
  const moves = walkthrough(hunt, 0).filter((e) => e.type === "move");
  const far = moves[moves.length - 1];
  assert.throws(() => hurried.apply({ ...far, t: 0 }), (e) => isXmarksError(e) && e.code === "too_fast");
  session.free();
  hurried.free();
  world.free();
});

test("a missed dig says so; sessions of format 1 open, replay and restore in format 1", () => {
  const { isXmarksError, replay, versions } = xmarks;
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "t", stages: 3 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  const walk = walkthrough(hunt, 0);
  const toFirst = walk.slice(0, walk.findIndex((e) => e.type === "dig"));
  const site = hunt.stages[0].site;
  const t = toFirst.at(-1).t;
  const miss = [{ type: "move", t: t + 120_000, x: site.x + 60, y: site.y }, { type: "dig", t: t + 121_000, x: site.x + 60, y: site.y }];
  const rules = Rules.default();
  const play = (session) => [...toFirst, ...miss].map((e) => session.apply(e)).at(-1);

  const now = new Session(hunt, rules, 0);
  assert.equal(now.format, versions().session);
  assert.deepEqual(play(now), [{ type: "missed", stage: 1, misses: 1 }]);

  const old = new Session(hunt, rules, 0, "xmarks-session/1");
  assert.equal(old.format, "xmarks-session/1");
  const log = [old.logHeader()];
  for (const e of [...toFirst, ...miss]) {
    assert.deepEqual(old.apply(e).filter((o) => o.type === "missed"), []);
    log.push(old.logLine());
  }
  const replayed = replay(log.join("\n")).session;
  assert.equal(replayed.format, "xmarks-session/1");
  assert.equal(replayed.stateHash(), old.stateHash());
  const restored = Session.restore(hunt, rules, old.snapshot(), "xmarks-session/1");
  assert.equal(restored.format, "xmarks-session/1");
  assert.deepEqual(restored.apply({ type: "dig", t: t + 122_000, x: site.x + 60, y: site.y }), []);
  assert.throws(() => new Session(hunt, rules, 0, "xmarks-session/9"), (e) => isXmarksError(e) && e.code === "input_invalid" && e.path === "format");
  for (const s of [now, old, replayed, restored]) s.free();
  world.free();
});

test("a team plays one hunt together: each event names its member, and the log replays", () => {
  const { generateTeamHunt, teamWalkthrough, replay, isXmarksError, versions } = xmarks;
  const world = World.procedural(7);
  const template = { id: "crew", stages: 3, max_team: 4 };
  const team = { id: "red", start: { x: 0, y: 0 }, members: [{ id: "ann" }, { id: "bob", level: 3 }] };
  const hunt = generateTeamHunt(world, template, { game: 1, round: 1 }, team);
  assert.deepEqual(hunt.members, ["ann", "bob"]);
  assert.equal(hunt.player, "red");
  assert.equal(hunt.level, 2);
  const session = new Session(hunt, Rules.default(), 0);
  assert.equal(session.format, versions().teamSession);
  const log = [session.logHeader()];
  const events = teamWalkthrough(hunt, 0);
  assert.deepEqual([...new Set(events.map((e) => e.member))], ["ann", "bob"]);
  const refused = (event, code, path) =>
    assert.throws(() => session.apply(event), (e) => isXmarksError(e) && e.code === code && (path === undefined || e.path === path));
  for (const event of events) {
    session.apply(event);
    log.push(session.logLine());
    if (event.type === "move" && session.state().seq === 3) {
      refused({ ...event, member: "eve" }, "unknown_member");
      const { member, ...anonymous } = event;
      refused(anonymous, "invalid", "member");
      refused({ ...event, t: event.t + 1000, member: "bob", x: event.x + 1e5 }, "too_fast");
    }
  }
  const state = session.state();
  assert.equal(state.status, "completed");
  assert.deepEqual(state.finds.map((f) => f.member), ["ann", "bob", "ann"]);
  assert.equal(state.members.ann.points + state.members.bob.points, state.points);
  const replayed = replay(log.join("\n"));
  assert.equal(replayed.session.stateHash(), session.stateHash());
  assert.equal(replayed.session.format, "xmarks-session/3");
  // A team's hunt is not played in a format without teams, nor a team of one template's.
  assert.throws(() => new Session(hunt, Rules.default(), 0, "xmarks-session/2"), (e) => e.code === "input_invalid" && e.path === "format");
  assert.throws(
    () => generateTeamHunt(world, { id: "solo", stages: 3 }, { game: 1, round: 1 }, team),
    (e) => e.code === "input_invalid" && e.path === "template.max_team",
  );
  assert.throws(
    () => generateTeamHunt(world, template, { game: 1, round: 1 }, { ...team, members: [{ id: "ann" }] }),
    (e) => e.code === "input_invalid" && e.path === "team.members",
  );
  replayed.session.free();
  session.free();
  world.free();
});
