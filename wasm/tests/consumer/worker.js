// The same program in a Web Worker (a module worker, bundled by Vite with its own copy of the
// package's loader): a game that keeps long calls off its frame loop.
import init, { World, Rules, Session, generateHunt, walkthrough } from "xmarks";

try {
  await init();
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "harbour", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  const session = new Session(hunt, Rules.default(), 0);
  for (const event of walkthrough(hunt, 0)) session.apply(event);
  postMessage(JSON.stringify({ fingerprint: hunt.fingerprint, status: session.state().status, hash: session.stateHash() }));
} catch (e) {
  postMessage(`error: ${e.code ?? ""} ${e.message}`);
}
