//! Arbitrary event sequences (structure-aware, with hostile numbers and strings) against a session
//! under the default rules, on a planar hunt and on an Earth hunt across the antimeridian: a
//! refused event changes nothing, and the log of the accepted ones replays to the live state.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use xmarks::session::{log, Event, Session};
use xmarks::{LonLat, Point, Position};

#[derive(Debug, Arbitrary)]
enum Step {
    Move {
        dt: i32,
        dx: f64,
        dy: f64,
        accuracy: Option<f64>,
    },
    Dig {
        dt: i32,
        dx: f64,
        dy: f64,
        accuracy: Option<f64>,
    },
    Answer {
        dt: i32,
        stage: u32,
        answer: String,
    },
    Use {
        dt: i32,
        item: String,
    },
    Tick {
        dt: i32,
    },
    Claim {
        dt: i32,
        claim: String,
        granted: bool,
    },
    /// The scripted player's next event: sequences that get somewhere.
    Walk,
    /// The last event again.
    Repeat,
}

/// Where a step of (dx, dy) from `at` lands: metres on a plane, a hundred-thousandth of a degree
/// (about a metre) on Earth, hostile numbers passed through.
fn offset(at: Position, dx: f64, dy: f64) -> Position {
    match at {
        Position::Plane(p) => Position::Plane(Point::new(p.x + dx, p.y + dy)),
        Position::Earth(p) => Position::Earth(LonLat::new(p.lon + dx * 1e-5, p.lat + dy * 1e-5)),
    }
}

fn play(hunt: &xmarks::Hunt, script: &[Event], steps: &[Step]) {
    let f = xmarks_fuzz::fixture();
    let mut session = Session::new(hunt.clone(), f.rules.clone(), 0);
    let mut lines = vec![log::header(&session)];
    let mut walk = script.iter();
    let mut last: Option<Event> = None;
    for step in steps.iter().take(2000) {
        let s = session.state();
        let t = |dt: i32| s.t.saturating_add_signed(i64::from(dt));
        let event = match step {
            Step::Move { dt, dx, dy, accuracy } => {
                Event::Move { t: t(*dt), at: offset(s.pos, *dx, *dy), accuracy: *accuracy }
            }
            Step::Dig { dt, dx, dy, accuracy } => {
                Event::Dig { t: t(*dt), at: offset(s.pos, *dx, *dy), accuracy: *accuracy }
            }
            Step::Answer { dt, stage, answer } => Event::Answer { t: t(*dt), stage: *stage, answer: answer.clone() },
            Step::Use { dt, item } => Event::Use { t: t(*dt), item: item.clone() },
            Step::Tick { dt } => Event::Tick { t: t(*dt) },
            Step::Claim { dt, claim, granted } => {
                Event::ClaimResult { t: t(*dt), claim: claim.clone(), granted: *granted }
            }
            Step::Walk => match walk.next() {
                Some(e) => e.clone(),
                None => continue,
            },
            Step::Repeat => match &last {
                Some(e) => e.clone(),
                None => continue,
            },
        };
        let before = session.state().clone();
        match session.apply(&event) {
            Ok(_) => lines.push(log::line(&session, &event)),
            Err(_) => assert_eq!(session.state(), &before, "a refused event changed the state"),
        }
        last = Some(event);
    }
    let replayed = log::replay(&lines.join("\n")).expect("a session's own log replays");
    assert_eq!(replayed.session.state_hash(), session.state_hash(), "replay equals live");
}

fuzz_target!(|steps: Vec<Step>| {
    let f = xmarks_fuzz::fixture();
    play(&f.hunt, &f.walk, &steps);
    play(&f.earth_hunt, &f.earth_walk, &steps);
});
