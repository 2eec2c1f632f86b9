//! Property tests over random event streams: a scripted player interleaved with hostile events.

use proptest::prelude::*;
use std::sync::Arc;
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line, replay};
use xmarks::session::script::walkthrough;
use xmarks::session::{Event, Session};
use xmarks::{generate, Hunt, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};

fn hunt() -> Hunt {
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let t = Template::from_json(
        r#"{"id":"prop","stages":3,"leg":{"min":100,"max":400},"search_radius":800,"time_limit_s":3600}"#,
    )
    .unwrap();
    let p = Player::new("ann", Point::new(0.0, 0.0));
    generate(&world, &t, &Seeds { game: 1, round: 1 }, &p).unwrap()
}

/// One step of a random stream: the scripted player's next event, or something hostile.
#[derive(Debug, Clone)]
enum Step {
    Script,
    Move { dt: i64, dx: f64, dy: f64 },
    Dig { dt: i64, dx: f64, dy: f64 },
    Use { dt: i64, item: u8 },
    Answer { dt: i64, stage: u32 },
    Tick { dt: i64 },
    Claim { dt: i64 },
    Repeat,
}

fn step() -> impl Strategy<Value = Step> {
    let dt = -3000i64..20_000;
    let d = -300.0..300.0f64;
    prop_oneof![
        6 => Just(Step::Script),
        2 => (dt.clone(), d.clone(), d.clone()).prop_map(|(dt, dx, dy)| Step::Move { dt, dx, dy }),
        2 => (dt.clone(), -8.0..8.0f64, -8.0..8.0f64).prop_map(|(dt, dx, dy)| Step::Dig { dt, dx, dy }),
        1 => (dt.clone(), 0u8..3).prop_map(|(dt, item)| Step::Use { dt, item }),
        1 => (dt.clone(), 0u32..5).prop_map(|(dt, stage)| Step::Answer { dt, stage }),
        1 => dt.clone().prop_map(|dt| Step::Tick { dt }),
        1 => dt.prop_map(|dt| Step::Claim { dt }),
        1 => Just(Step::Repeat),
    ]
}

/// Turns steps into events against the live session; returns the log and the live state hash.
fn run(h: &Hunt, steps: &[Step]) -> (Vec<String>, String, u32) {
    let mut s = Session::new(h.clone(), Arc::new(Ruleset::default_rules()), 1_000);
    let script = walkthrough(h, 0);
    let mut next = 0;
    let mut log = vec![header(&s)];
    let mut last: Option<Event> = None;
    let mut rejected = 0;
    for st in steps {
        let now = s.state().t;
        let at = |dt: i64| now.saturating_add_signed(dt);
        let Point { x, y } = s.state().pos.as_point().unwrap();
        let event = match st {
            Step::Script => {
                let Some(e) = script.get(next) else { continue };
                next += 1;
                match e {
                    Event::Move { at, .. } => Event::move_to(now + 1000, *at),
                    Event::Dig { at, .. } => Event::dig_at(now + 1000, *at),
                    other => other.clone(),
                }
            }
            Step::Move { dt, dx, dy } => Event::move_to(at(*dt), Point::new(x + dx, y + dy)),
            Step::Dig { dt, dx, dy } => Event::dig_at(at(*dt), Point::new(x + dx, y + dy)),
            Step::Use { dt, item } => {
                Event::Use { t: at(*dt), item: ["treasure_chest", "lantern", "x"][*item as usize].into() }
            }
            Step::Answer { dt, stage } => Event::Answer { t: at(*dt), stage: *stage, answer: "gold".into() },
            Step::Tick { dt } => Event::Tick { t: at(*dt) },
            Step::Claim { dt } => {
                Event::ClaimResult { t: at(*dt), claim: format!("{}:x", s.state().seq), granted: true }
            }
            Step::Repeat => match &last {
                Some(e) => e.clone(),
                None => continue,
            },
        };
        let before = s.state_hash();
        match s.apply(&event) {
            Ok(_) => log.push(line(&s, &event)),
            Err(_) => {
                rejected += 1;
                assert_eq!(s.state_hash(), before, "a rejected {event:?} changed the state");
            }
        }
        last = Some(event);
    }
    (log, s.state_hash(), rejected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rejections_change_nothing_and_replay_equals_live(steps in proptest::collection::vec(step(), 1..120)) {
        let h = hunt();
        let (log, live, _) = run(&h, &steps);
        let text = log.join("\n") + "\n";
        let replayed = replay(&text).unwrap();
        prop_assert_eq!(replayed.session.state_hash(), live);
    }

    #[test]
    fn a_one_byte_edit_anywhere_in_a_log_is_detected(
        steps in proptest::collection::vec(step(), 1..60), edits in proptest::collection::vec((any::<u32>(), 1u8..=255), 16),
    ) {
        let h = hunt();
        let (log, _, _) = run(&h, &steps);
        prop_assume!(log.len() > 1);
        let text = log.join("\n") + "\n";
        for (pos, delta) in edits {
            let mut bytes = text.clone().into_bytes();
            let i = pos as usize % bytes.len();
            bytes[i] = bytes[i].wrapping_add(delta);
            // A log that is no longer UTF-8 cannot even be read: that is a detection too.
            if let Ok(edited) = String::from_utf8(bytes) {
                prop_assert!(replay(&edited).is_err(), "edit at byte {} not detected", i);
            }
        }
    }
}

#[test]
fn random_streams_exercise_both_acceptance_and_rejection() {
    // Guards the properties above against vacuity: the generator must produce both kinds.
    let h = hunt();
    let steps: Vec<Step> = (0..200)
        .map(|i| match i % 5 {
            0 => Step::Move { dt: 1000, dx: 900.0, dy: 0.0 },
            1 => Step::Tick { dt: -10 },
            _ => Step::Script,
        })
        .collect();
    let (log, _, rejected) = run(&h, &steps);
    assert!(log.len() > 50 && rejected > 50, "{} accepted, {rejected} rejected", log.len() - 1);
}
