// The same program as main.mjs from CommonJS: `require("xmarks")` (Node 20.19 and later load the
// package's ES module through require).
const { World, Rules, Session, generateHunt, walkthrough } = require("xmarks");

const world = World.procedural(7);
const hunt = generateHunt(world, { id: "harbour", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
const session = new Session(hunt, Rules.default(), 0);
for (const event of walkthrough(hunt, 0)) session.apply(event);
console.log(JSON.stringify({ fingerprint: hunt.fingerprint, status: session.state().status, hash: session.stateHash() }));
