//! A scripted player: walks to every stage at the template's speed and digs on the spot. Used by
//! tests, benchmarks and demos as a known-good event stream.

use super::Event;
use crate::geom::Point;
use crate::hunt::Hunt;

/// Events of a player who starts at `started_ms`, walks each leg in one-second steps at 90% of the
/// hunt's speed limit, and digs at each site.
pub fn walkthrough(hunt: &Hunt, started_ms: u64) -> Vec<Event> {
    let mut events = Vec::new();
    let mut t = started_ms;
    let mut at = hunt.start;
    let step = hunt.max_speed * 0.9;
    for stage in &hunt.stages {
        let to = stage.site.pos();
        let steps = (at.distance(to) / step).ceil().max(1.0) as u64;
        let from = at;
        for i in 1..=steps {
            let f = i as f64 / steps as f64;
            t += 1000;
            at = Point::new(from.x + (to.x - from.x) * f, from.y + (to.y - from.y) * f);
            events.push(Event::Move { t, x: at.x, y: at.y });
        }
        t += 1000;
        events.push(Event::Dig { t, x: at.x, y: at.y });
    }
    events
}
