//! Teams: hunts generated for a team, and team sessions (format 3) as a game plays them: members'
//! own positions and clocks, stages found for the team, points and items per member and per team,
//! `member.*` and `team.*` in rules, and the refusals of one member's bad event.

use std::sync::Arc;
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line_by, replay};
use xmarks::session::script::{team_walkthrough, walkthrough};
use xmarks::session::{Authored, Event, Format, Outcome, Rejection, Session, Status};
use xmarks::{generate, generate_team, Coded, Hunt, Player, Point, Position, ProceduralWorld, Seeds, Team, TeamMember};
use xmarks::{Template, World, WorldConfig};

fn world() -> World {
    World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap())
}

const TEMPLATE: &str = r#"{"id":"crew","stages":4,"difficulty":3,"leg":{"min":100,"max":600},"search_radius":1200,"time_limit_s":7200,"max_team":8}"#;

fn team(ids: &[&str]) -> Team {
    Team {
        id: "red".into(),
        start: Position::Plane(Point::new(10.0, -20.0)),
        members: ids.iter().map(|id| TeamMember::new(*id)).collect(),
    }
}

fn team_hunt(t: &Team) -> Hunt {
    generate_team(&world(), &Template::from_json(TEMPLATE).unwrap(), &Seeds { game: 1, round: 1 }, t).unwrap()
}

fn session(h: &Hunt) -> Session {
    Session::new(h.clone(), Arc::new(Ruleset::default_rules()), 1_000_000)
}

fn play(s: &mut Session, events: &[Authored]) -> Vec<Outcome> {
    events
        .iter()
        .flat_map(|a| s.apply_by(a.member.as_deref(), &a.event).unwrap_or_else(|r| panic!("{a:?} refused: {r}")))
        .collect()
}

#[test]
fn a_teams_hunt_is_one_players_made_of_the_team() {
    let mut t = team(&["ann", "bob", "cy"]);
    t.members[0].level = 1;
    t.members[1].level = 2;
    t.members[2].level = 4;
    let h = team_hunt(&t);
    assert_eq!(h.members, ["ann", "bob", "cy"]);
    assert_eq!(h.player, "red");
    // The mean level, 7 / 3, rounded half up.
    assert_eq!(h.level, 2);
    assert_eq!(h.start, t.start);
    // The team as one player, and the same hunt with the roster named.
    let solo =
        generate(&world(), &Template::from_json(TEMPLATE).unwrap(), &Seeds { game: 1, round: 1 }, &t.as_player())
            .unwrap();
    assert_eq!(solo.stages, h.stages);
    assert!(solo.members.is_empty());
    assert_ne!(solo.fingerprint, h.fingerprint);
    assert_eq!(Hunt::from_json(&h.canonical_json()).unwrap(), h);

    // A site one member found is left out of the team's next hunt.
    let first = h.stages[0].site.id.clone();
    t.members[1].found = vec![first.clone()];
    let again = team_hunt(&t);
    assert!(again.stages.iter().all(|s| s.site.id != first));

    // Levels 1 and 2 round half up to 2; interests are the members' mean weights.
    let mut pair = team(&["ann", "bob"]);
    pair.members[1].level = 2;
    pair.members[0].interests.insert("ruin".into(), 3.0);
    let p = pair.as_player();
    assert_eq!(p.level, 2);
    assert_eq!(p.interests["ruin"], 2.0);
}

#[test]
fn teams_that_do_not_fit_are_refused_at_their_path() {
    let template = Template::from_json(TEMPLATE).unwrap();
    let seeds = Seeds { game: 1, round: 1 };
    let err = |t: &Team, template: &Template| {
        let e = generate_team(&world(), template, &seeds, t).unwrap_err();
        (e.code(), e.path().unwrap())
    };
    let nine: Vec<String> = (0..9).map(|i| format!("p{i}")).collect();
    let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
    assert_eq!(err(&team(&nine), &template), ("input_invalid", "team.members".into()));
    assert_eq!(err(&team(&["ann"]), &template), ("input_invalid", "team.members".into()));
    assert_eq!(err(&team(&["ann", "bob", "ann"]), &template), ("input_invalid", "team.members[2].id".into()));
    let mut t = team(&["ann", "bob"]);
    t.members[1].level = 0;
    assert_eq!(err(&t, &template), ("input_invalid", "team.members[1].level".into()));
    let mut t = team(&["ann", "bob"]);
    t.start = Position::Plane(Point::new(f64::NAN, 0.0));
    assert_eq!(err(&t, &template), ("input_invalid", "team.start".into()));
    let solo = Template::from_json(r#"{"id":"solo","stages":2}"#).unwrap();
    assert_eq!(err(&team(&["ann", "bob"]), &solo), ("input_invalid", "template.max_team".into()));
    let e = Template::from_json(r#"{"id":"big","stages":2,"max_team":65}"#).unwrap_err();
    assert_eq!(e.path, "max_team");
}

#[test]
fn a_stage_any_member_finds_is_found_for_the_team() {
    let h = team_hunt(&team(&["ann", "bob", "cy"]));
    let mut s = session(&h);
    assert_eq!(s.format(), Format::TEAM);
    let events = team_walkthrough(&h, 1_000_000);
    let out = play(&mut s, &events);
    let stages: Vec<u32> = out
        .iter()
        .filter_map(|o| if let Outcome::StageCompleted { stage } = o { Some(*stage) } else { None })
        .collect();
    assert_eq!(stages, [1, 2, 3, 4]);
    assert!(out.contains(&Outcome::HuntCompleted));
    let st = s.state();
    assert_eq!(st.status, Status::Completed);
    // Digs took turns: ann, bob, cy, ann.
    let finders: Vec<_> = st.finds.iter().map(|f| f.member.clone().unwrap()).collect();
    assert_eq!(finders, ["ann", "bob", "cy", "ann"]);
    // Points are each member's and the team's: the members' add up to the team's.
    let total: i64 = st.members.values().map(|m| m.points).sum();
    assert_eq!(total, st.points);
    assert!(st.members["ann"].points > st.members["bob"].points);
    assert_eq!(st.members["bob"].digs, 1);
    assert_eq!(st.digs, 4);
    // The treasure went to the one who dug it up, and to the team.
    let treasure = &h.stages[3].treasure.as_ref().unwrap().item;
    assert_eq!(st.members["ann"].items.get(treasure), Some(&1));
    assert_eq!(st.members["cy"].items.get(treasure), None);
    assert_eq!(st.items.get(treasure), Some(&1));

    // The log replays to the same state, each event naming its member.
    let mut lines = vec![header(&session(&h))];
    let mut again = session(&h);
    for a in &events {
        again.apply_by(a.member.as_deref(), &a.event).unwrap();
        lines.push(line_by(&again, a.member.as_deref(), &a.event));
    }
    assert!(lines[0].starts_with(r#"{"session":"xmarks-session/3""#));
    assert!(lines[1].contains(r#""member":"ann""#));
    let log = lines.join("\n");
    let r = replay(&log).unwrap();
    assert_eq!(r.session.state_hash(), s.state_hash());
    assert_eq!(r.session.state(), s.state());
    // Naming another member in a line breaks the chain there.
    let edited = log.replacen(r#""member":"bob""#, r#""member":"cy""#, 1);
    let e = replay(&edited).unwrap_err();
    assert!(e.reason.contains("chain"), "{e}");
    // A team's log claiming a format without teams is refused at its header.
    let e = replay(&log.replacen("xmarks-session/3", "xmarks-session/2", 1)).unwrap_err();
    assert_eq!(e.line, 1);

    // A snapshot restores the members too.
    let back = Session::restore(h.clone(), Arc::new(Ruleset::default_rules()), &s.snapshot()).unwrap();
    assert_eq!(back.state_hash(), s.state_hash());
    let solo_snapshot = session(
        &generate(
            &world(),
            &Template::from_json(TEMPLATE).unwrap(),
            &Seeds { game: 1, round: 1 },
            &Player::new("red", Point::new(10.0, -20.0)),
        )
        .unwrap(),
    );
    assert!(Session::restore(h.clone(), Arc::new(Ruleset::default_rules()), &solo_snapshot.snapshot()).is_err());
}

#[test]
fn each_member_moves_on_their_own_clock_and_a_teleport_is_refused_for_that_member_only() {
    let h = team_hunt(&team(&["ann", "bob"]));
    let mut s = session(&h);
    let start = h.start;
    let near = start.towards(90.0, 10.0);
    s.apply_by(Some("ann"), &Event::move_to(1_005_000, near)).unwrap();
    // Bob's clock is his own: an event before Ann's last is his next.
    s.apply_by(Some("bob"), &Event::move_to(1_002_000, start.towards(0.0, 5.0))).unwrap();
    let bob_before = s.state().members["bob"].clone();
    let hash = s.state_hash();
    // Bob jumps 5 km in a second: refused, and nothing changed.
    let far = start.towards(0.0, 5000.0);
    let r = s.apply_by(Some("bob"), &Event::move_to(1_003_000, far)).unwrap_err();
    assert_eq!(r.code(), "too_fast");
    assert_eq!(s.state_hash(), hash);
    assert_eq!(s.state().members["bob"], bob_before);
    // Bob goes backwards on his own clock: refused.
    let r = s.apply_by(Some("bob"), &Event::move_to(1_001_000, start)).unwrap_err();
    assert_eq!(r, Rejection::TimeReversed { last: 1_002_000, got: 1_001_000 });
    // Ann goes on.
    s.apply_by(Some("ann"), &Event::move_to(1_006_000, near.towards(90.0, 2.0))).unwrap();
    assert_eq!(s.state().members["ann"].t, 1_006_000);
    // Ann cannot dig where Bob stands.
    let r = s.apply_by(Some("ann"), &Event::dig_at(1_007_000, start.towards(0.0, 5.0))).unwrap_err();
    assert_eq!(r.code(), "dig_away");
}

#[test]
fn events_must_name_a_member_of_the_team() {
    let h = team_hunt(&team(&["ann", "bob"]));
    let mut s = session(&h);
    let hash = s.state_hash();
    let e = Event::move_to(1_001_000, h.start);
    assert_eq!(s.apply_by(Some("eve"), &e).unwrap_err(), Rejection::UnknownMember { member: "eve".into() });
    let r = s.apply(&e).unwrap_err();
    assert_eq!((r.code(), r.path().as_deref()), ("invalid", Some("member")));
    assert_eq!(s.state_hash(), hash);
    // A host's tick names no member.
    s.apply(&Event::Tick { t: 1_001_000 }).unwrap();
    // One player's session takes no member.
    let solo = generate(
        &world(),
        &Template::from_json(TEMPLATE).unwrap(),
        &Seeds { game: 1, round: 1 },
        &Player::new("ann", Point::new(0.0, 0.0)),
    )
    .unwrap();
    let mut one = session(&solo);
    assert_eq!(one.format(), Format::CURRENT);
    let r = one.apply_by(Some("ann"), &Event::move_to(1_001_000, solo.start)).unwrap_err();
    assert_eq!(r.path().as_deref(), Some("member"));
    // And a plain event read from JSON cannot smuggle one in.
    assert!(Event::from_json(r#"{"type":"tick","t":5,"member":"ann"}"#).is_err());
    let a = Authored::from_json(r#"{"type":"tick","t":5,"member":"ann"}"#).unwrap();
    assert_eq!(a.canonical_json(), r#"{"type":"tick","t":5,"member":"ann"}"#);
}

#[test]
fn two_members_digging_one_stage_at_one_instant_the_first_finds_it() {
    let h = team_hunt(&team(&["ann", "bob"]));
    let mut s = session(&h);
    // Both walk to stage 1 side by side.
    let walk = walkthrough(&h, 1_000_000);
    let dig = walk.iter().position(|e| matches!(e, Event::Dig { .. })).unwrap();
    for e in &walk[..dig] {
        s.apply_by(Some("ann"), e).unwrap();
        s.apply_by(Some("bob"), e).unwrap();
    }
    let out = s.apply_by(Some("ann"), &walk[dig]).unwrap();
    assert!(out.contains(&Outcome::StageCompleted { stage: 1 }));
    let hash = s.state_hash();
    let r = s.apply_by(Some("bob"), &walk[dig]).unwrap_err();
    assert_eq!(r, Rejection::AlreadyFound { stage: 1, member: "ann".into() });
    assert_eq!(r.code(), "already_found");
    assert_eq!(s.state_hash(), hash);
    // A moment later Bob's dig there is an ordinary miss of stage 2.
    let Event::Dig { t, at, .. } = walk[dig] else { unreachable!() };
    let out = s.apply_by(Some("bob"), &Event::dig_at(t + 1, at)).unwrap();
    assert!(matches!(out[0], Outcome::Missed { stage: 2, .. }), "{out:?}");
}

#[test]
fn rules_read_the_member_and_the_team() {
    let rules = Ruleset::from_json(
        r#"{"id":"crew","rules":[{"id":"hello","on":["move"],"once":false,"when":{"==":[{"var":"member.id"},"bob"]},
            "then":[{"message":{"cat":[{"var":"member.id"}," of ",{"var":"team.id"}," (",{"var":"team.size"},")"]}},
                    {"add_points":3},{"give_item":"badge"}]}]}"#,
    )
    .unwrap();
    let h = team_hunt(&team(&["ann", "bob"]));
    let mut s = Session::new(h.clone(), Arc::new(rules), 0);
    assert!(s.apply_by(Some("ann"), &Event::move_to(1000, h.start)).unwrap().is_empty());
    let out = s.apply_by(Some("bob"), &Event::move_to(1000, h.start)).unwrap();
    assert_eq!(out[0], Outcome::Message { rule: "hello".into(), text: "bob of red (2)".into() });
    assert_eq!((s.state().points, s.state().members["bob"].points, s.state().members["ann"].points), (3, 3, 0));
    assert_eq!(s.state().members["bob"].items.get("badge"), Some(&1));
    // Bob's badge is his to use, not Ann's.
    let r = s.apply_by(Some("ann"), &Event::Use { t: 2000, item: "badge".into() }).unwrap_err();
    assert_eq!(r.code(), "unknown_item");
    s.apply_by(Some("bob"), &Event::Use { t: 2000, item: "badge".into() }).unwrap();
}
