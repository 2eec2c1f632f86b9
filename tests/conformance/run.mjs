// The golden vectors and the JsonLogic suite against a built `xmarks` package, for any JS host:
// Node passes file readers, the browser demo passes fetch. Returns the counts compared and every
// mismatch; a host's test asserts there are none. (Natively: core/tests/golden*.rs.)

/** JSON with object keys sorted, as the native vectors were written. */
const sorted = (v) =>
  Array.isArray(v) ? v.map(sorted)
  : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
  : v;
const canonical = (v) => JSON.stringify(sorted(v));

/**
 * @param xmarks the package's module
 * @param io `{ text(path), bytes(path) }`, async readers of files under tests/
 */
export async function runConformance(xmarks, io) {
  const out = { hunts: 0, fullHunts: 0, views: 0, sessions: 0, teamSessions: 0, events: 0, jsonlogic: 0, mismatches: [] };
  const miss = (m) => out.mismatches.push(m);
  const json = async (path) => JSON.parse(await io.text(path));
  // As core/tests/common/mod.rs reads them: lon/lat data is an Earth world unless "projection" is "local".
  const worldOf = async (spec) => {
    if (spec.procedural) return xmarks.World.procedural(spec.procedural.seed, spec.procedural.config);
    const options = { projection: spec.projection ?? null };
    if (spec.csv) return xmarks.World.importCsv(await io.bytes(spec.csv), options);
    return xmarks.World.importGeojson(await io.text(spec.geojson), options);
  };
  const { generateHunt, generateTeamHunt, canonicalHuntJson, playerView, playerViewJson, stageCommitment, Rules, Session, replay, applyLogic, versions } = xmarks;

  const hunts = await json("golden/hunts.json");
  if (hunts.generator !== versions().generator) miss(`hunts.json was made by ${hunts.generator}`);
  for (const c of hunts.cases) {
    const world = await worldOf(c.world);
    try {
      const hunt = generateHunt(world, c.template, c.seeds, c.player);
      if (hunt.fingerprint !== c.fingerprint) miss(`${c.name}: fingerprint ${hunt.fingerprint}`);
      if (c.full) {
        if (canonicalHuntJson(hunt) !== (await io.text(`golden/${c.full}`)).trimEnd()) miss(`${c.name}: canonical JSON differs`);
        else out.fullHunts++;
      }
    } catch (e) {
      const got = { code: e.code, message: e.message };
      if (JSON.stringify(got) !== JSON.stringify(c.error)) miss(`${c.name}: ${JSON.stringify(got)}`);
    } finally {
      world.free();
    }
    out.hunts++;
  }

  const views = await json("golden/views.json");
  if (views.view !== versions().view) miss(`views.json is format ${views.view}`);
  for (const c of views.cases) {
    const hunt = await io.text(`golden/${c.hunt}`);
    if (playerViewJson(hunt, c.salt, c.found) !== c.canonical) miss(`view of ${c.hunt} (${c.found} found): canonical JSON differs`);
    const view = playerView(JSON.parse(hunt), c.salt, c.found);
    const full = JSON.parse(hunt);
    full.stages.forEach((stage, i) => {
      if (stageCommitment(c.salt, stage.site) !== view.stages[i].commitment) miss(`view of ${c.hunt}: commitment ${i + 1}`);
    });
    out.views++;
  }

  // The current format's vectors, format 1's as they were made, played in format 1, and teams'
  // (format 3: each event names its member).
  const files = [
    ["golden/sessions.json", undefined, versions().session],
    ["golden/sessions-v1.json", "xmarks-session/1", "xmarks-session/1"],
    ["golden/team-sessions.json", undefined, versions().teamSession],
  ];
  for (const [file, format, version] of files) {
    const sessions = await json(file);
    if (sessions.session !== version) miss(`${file} is format ${sessions.session}`);
    for (const c of sessions.cases) {
      const world = await worldOf(c.world);
      const hunt = c.team ? generateTeamHunt(world, c.template, c.seeds, c.team) : generateHunt(world, c.template, c.seeds, c.player);
      world.free();
      const rules = c.rules === null ? Rules.default() : Rules.parse(c.rules);
      const session = new Session(hunt, rules, c.started_ms, format);
      const log = [session.logHeader()];
      c.events.forEach((event, i) => {
        let result;
        try {
          result = { outcomes: session.apply(event) };
          log.push(session.logLine());
        } catch (e) {
          result = { rejected: e.code };
        }
        if (canonical(result) !== canonical(c.results[i])) miss(`${file} ${c.name}: event ${i}: ${canonical(result)}`);
        out.events++;
      });
      if (session.stateHash() !== c.state_hash) miss(`${file} ${c.name}: state hash`);
      if (session.state().chain !== c.chain) miss(`${file} ${c.name}: chain`);
      // The log written here replays to the same state, in its format (natively too: it is the same format).
      const replayed = replay(log.join("\n"));
      if (replayed.session.stateHash() !== c.state_hash || replayed.session.format !== session.format) miss(`${file} ${c.name}: replay`);
      if (session.format !== version) miss(`${file} ${c.name}: played in ${session.format}`);
      if (c.team) out.teamSessions++;
      replayed.session.free();
      session.free();
      rules.free();
      out.sessions++;
    }
  }

  for (const [rule, data, expected] of (await json("jsonlogic/tests.json")).filter(Array.isArray)) {
    let got;
    try {
      got = applyLogic(rule, data);
    } catch (e) {
      got = `error: ${e.message}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(expected)) miss(`${JSON.stringify(rule)} with ${JSON.stringify(data)}: got ${JSON.stringify(got)}`);
    out.jsonlogic++;
  }

  // The current specification's cases: a value, or a logic_error carrying the error value.
  for (const c of (await json("jsonlogic/current.json")).filter((c) => typeof c === "object")) {
    let got;
    try {
      got = { result: applyLogic(c.rule, c.data) };
    } catch (e) {
      got = e.code === "logic_error" ? { error: e.error } : { thrown: `${e.code}: ${e.message}` };
    }
    const want = "error" in c ? { error: c.error } : { result: c.result };
    if (canonical(got) !== canonical(want)) miss(`${c.about}: got ${canonical(got)}`);
    out.jsonlogic++;
  }
  return out;
}
