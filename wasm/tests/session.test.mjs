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
