//! A scripted player: walks to every stage at the template's speed and digs on the spot. Used by
//! tests, benchmarks and demos as a known-good event stream.

use super::{Authored, Event};
use crate::geom::Point;
use crate::hunt::clue::Pointer;
use crate::hunt::view::HuntView;
use crate::hunt::Hunt;
use crate::position::Position;

/// Events of a player who starts at `started_ms`, walks each leg in one-second steps at 90% of the
/// hunt's speed limit, and digs at each site.
pub fn walkthrough(hunt: &Hunt, started_ms: u64) -> Vec<Event> {
    let sites: Vec<Position> = hunt.stages.iter().map(|stage| stage.site.pos).collect();
    walk(hunt.start, hunt.max_speed, &sites, started_ms)
}

/// A team's walk: every member walks each leg side by side with the others (one event each per
/// second, in the team's order), and the stages' digs take turns: member `i % n` digs stage `i`.
/// `None` events for a hunt that is not a team's.
pub fn team_walkthrough(hunt: &Hunt, started_ms: u64) -> Vec<Authored> {
    let members = &hunt.members;
    let mut out = Vec::new();
    let mut stage = 0;
    for event in walkthrough(hunt, started_ms) {
        let by = |m: &String| Authored { member: Some(m.clone()), event: event.clone() };
        match event {
            Event::Dig { .. } => {
                if let Some(m) = members.get(stage % members.len().max(1)) {
                    out.push(by(m));
                }
                stage += 1;
            }
            _ => out.extend(members.iter().map(by)),
        }
    }
    out
}

/// The same walk from what a player sees: each stage's site once shown, or the coordinates its
/// clue gives (difficulty 1 gives them all). `None` when a clue points some other way.
pub fn walkthrough_view(view: &HuntView, started_ms: u64) -> Option<Vec<Event>> {
    let sites = view
        .stages
        .iter()
        .map(|stage| match (&stage.site, &stage.clue.pointer) {
            (Some(site), _) => Some(site.pos),
            (None, Pointer::Coordinates { at }) => Some(*at),
            _ => None,
        })
        .collect::<Option<Vec<Position>>>()?;
    Some(walk(view.start, view.max_speed, &sites, started_ms))
}

/// Each leg in equal steps: along the straight line on a plane, along the geodesic on Earth.
fn walk(start: Position, max_speed: f64, sites: &[Position], started_ms: u64) -> Vec<Event> {
    let mut events = Vec::new();
    let mut t = started_ms;
    let mut at = start;
    let step = max_speed * 0.9;
    for &to in sites {
        let steps = (at.distance(to) / step).ceil().max(1.0) as u64;
        let from = at;
        let (bearing, length) = (from.bearing_to(to), from.distance(to));
        for i in 1..=steps {
            let f = i as f64 / steps as f64;
            t += 1000;
            at = match (from, to) {
                (Position::Plane(a), Position::Plane(b)) => {
                    Position::Plane(Point::new(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f))
                }
                _ if i == steps => to,
                _ => from.towards(bearing, length * f),
            };
            events.push(Event::move_to(t, at));
        }
        t += 1000;
        events.push(Event::dig_at(t, at));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, Player, ProceduralWorld, Seeds, Template, World, WorldConfig};

    #[test]
    fn a_view_of_a_difficulty_1_hunt_walks_as_the_hunt_does() {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
        let player = Player::new("ann", Point::new(0.0, 0.0));
        let seeds = Seeds { game: 1, round: 1 };
        let easy = Template::from_json(r#"{"id": "t", "stages": 3, "difficulty": 1}"#).unwrap();
        let hunt = generate(&world, &easy, &seeds, &player).unwrap();
        let view = hunt.player_view("salt", 0);
        assert_eq!(walkthrough_view(&view, 5).unwrap(), walkthrough(&hunt, 5));
        // Harder clues point some other way: only the stages already shown can be walked to.
        let hard = Template::from_json(r#"{"id": "t", "stages": 3, "difficulty": 4}"#).unwrap();
        let hunt = generate(&world, &hard, &seeds, &player).unwrap();
        assert_eq!(walkthrough_view(&hunt.player_view("salt", 0), 5), None);
        assert_eq!(walkthrough_view(&hunt.player_view("salt", 3), 5).unwrap(), walkthrough(&hunt, 5));
    }
}
