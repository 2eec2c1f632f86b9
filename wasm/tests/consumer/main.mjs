// The scratch ESM project's program: the installed package under Node, as a server would use it.
import { World, Rules, Session, generateHunt, walkthrough } from "xmarks";

const world = World.procedural(7);
const hunt = generateHunt(world, { id: "harbour", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
const session = new Session(hunt, Rules.default(), 0);
for (const event of walkthrough(hunt, 0)) session.apply(event);
console.log(JSON.stringify({ fingerprint: hunt.fingerprint, status: session.state().status, hash: session.stateHash() }));
