// The scratch projects' program, as every way of loading the package runs it (main.mjs under
// Node and Deno, browser.js on the page, worker.js in a Web Worker; main.cjs spells it out in
// CommonJS): a hunt generated and walked through. The package test runs it on the repository's
// package for the answers to expect.
export function play({ World, Rules, Session, generateHunt, walkthrough }) {
  const world = World.procedural(7);
  const hunt = generateHunt(world, { id: "harbour", stages: 4 }, { game: 1, round: 1 }, { id: "ann", start: { x: 0, y: 0 } });
  const session = new Session(hunt, Rules.default(), 0);
  for (const event of walkthrough(hunt, 0)) session.apply(event);
  return { fingerprint: hunt.fingerprint, status: session.state().status, hash: session.stateHash() };
}
