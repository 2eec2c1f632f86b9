//! Event definitions: which hunt a live event plays, when, for how many, and how it ranks and pays.
//!
//! ```json
//! {"template": "harbour", "rules": "launch-rules",
//!  "schedule": {"cron": "0 12 * * *", "duration_s": 3600},
//!  "max_players": 10000, "attempts": 3, "join_required": true,
//!  "mode": "shared", "start": {"x": 0, "y": 0},
//!  "board": {"score": "descending", "subscore": "ascending", "aggregate": "best"},
//!  "payouts": {"rows": [{"rank": 1, "reward": {"gems": 500}}]}}
//! ```
//!
//! `template` and `rules` name what the host offers (the host checks they exist). A window is
//! named `<event>@<start_ms>`. `personal` hunts are each player's own, seeded by the window;
//! `shared` hunts are one hunt for everyone in the window (a race from `start`): generated for
//! the window, then handed to each player under their own id.

use super::board::BoardSpec;
use super::payout::PayoutTable;
use super::schedule::{Schedule, Window};
use super::LiveError;
use crate::hunt::template::Template;
use crate::hunt::{generate, Hunt, HuntBody, HuntError, Player, Seeds, Team};
use crate::limits::{MAX_ATTEMPTS, MAX_NAME_LEN, MAX_WINDOW_PLAYERS};
use crate::position::Position;
use crate::world::World;
use serde::Deserialize;
use serde_json::value::RawValue;

/// How a window's hunts are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Each player their own hunt, seeded by the window.
    Personal,
    /// One hunt for everyone in the window, from the event's `start`: a race.
    Shared,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec<'a> {
    template: Option<String>,
    rules: Option<String>,
    #[serde(borrow)]
    schedule: Option<&'a RawValue>,
    max_players: Option<u64>,
    attempts: Option<u64>,
    join_required: Option<bool>,
    mode: Option<Mode>,
    start: Option<Position>,
    #[serde(borrow)]
    board: Option<&'a RawValue>,
    #[serde(borrow)]
    payouts: Option<&'a RawValue>,
}

/// A checked event definition.
#[derive(Debug, Clone)]
pub struct EventSpec {
    pub template: String,
    /// The ruleset's name; `None`: the template's own rules.
    pub rules: Option<String>,
    pub schedule: Schedule,
    /// Players per window, first come (at most [`MAX_WINDOW_PLAYERS`]).
    pub max_players: u32,
    /// Sessions per player per window (at most [`MAX_ATTEMPTS`]).
    pub attempts: u32,
    /// Players join a window before their first attempt; else the first attempt joins them.
    pub join_required: bool,
    pub mode: Mode,
    /// Where a shared hunt starts.
    pub start: Option<Position>,
    pub board: BoardSpec,
    pub payouts: Option<PayoutTable>,
}

fn prefixed(prefix: &str, e: LiveError) -> Vec<(String, String)> {
    e.problems
        .into_iter()
        .map(|(path, reason)| (if path == "$" { prefix.to_owned() } else { format!("{prefix}.{path}") }, reason))
        .collect()
}

impl EventSpec {
    /// Reads and checks a definition at `now_ms` (its schedule must still open a window), with
    /// every problem at its path (`schedule.cron`, `payouts.rows[2].ranks`, `max_players`).
    pub fn from_json(text: &str, now_ms: u64) -> Result<EventSpec, LiveError> {
        let invalid = |problems| LiveError { code: "event_invalid", problems };
        let spec: Spec = serde_json::from_str(text).map_err(|e| invalid(vec![("$".into(), e.to_string())]))?;
        let mut problems = Vec::new();
        let mut name = |field: &str, value: &Option<String>, required: bool| match value {
            None if required => problems.push((field.to_owned(), "is missing".to_owned())),
            Some(v) if v.is_empty() || v.len() > MAX_NAME_LEN => {
                problems.push((field.to_owned(), format!("must be 1 to {MAX_NAME_LEN} bytes")))
            }
            _ => {}
        };
        name("template", &spec.template, true);
        name("rules", &spec.rules, false);
        let schedule = match spec.schedule {
            None => {
                problems.push(("schedule".into(), "is missing".into()));
                None
            }
            Some(raw) => {
                Schedule::from_json(raw.get(), now_ms).map_err(|e| problems.extend(prefixed("schedule", e))).ok()
            }
        };
        let mut count = |field: &str, value: Option<u64>, default: u64, most: u64| match value.unwrap_or(default) {
            n if (1..=most).contains(&n) => n as u32,
            n => {
                problems.push((field.to_owned(), format!("{n} is not from 1 to {most}")));
                0
            }
        };
        let max_players = count("max_players", spec.max_players, MAX_WINDOW_PLAYERS, MAX_WINDOW_PLAYERS);
        let attempts = count("attempts", spec.attempts, 1, MAX_ATTEMPTS);
        let mode = spec.mode.unwrap_or(Mode::Personal);
        match (mode, &spec.start) {
            (Mode::Shared, None) => problems.push(("start".into(), "a shared hunt needs its start".into())),
            (Mode::Personal, Some(_)) => problems.push((
                "start".into(),
                "only a shared hunt has one start; personal hunts start where each player stands".into(),
            )),
            (_, Some(p)) => {
                if let Err(reason) = p.check_in(p.space()) {
                    problems.push(("start".into(), reason));
                }
            }
            _ => {}
        }
        let board = match spec.board {
            None => Some(BoardSpec::default()),
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|e| problems.push(("board".into(), e.to_string()))).ok()
            }
        };
        let payouts = match spec.payouts {
            None => None,
            Some(raw) => PayoutTable::from_json(raw.get()).map_err(|e| problems.extend(prefixed("payouts", e))).ok(),
        };
        match (schedule, board) {
            (Some(schedule), Some(board)) if problems.is_empty() => Ok(EventSpec {
                template: spec.template.unwrap_or_default(),
                rules: spec.rules,
                schedule,
                max_players,
                attempts,
                join_required: spec.join_required.unwrap_or(true),
                mode,
                start: spec.start,
                board,
                payouts,
            }),
            _ => Err(invalid(problems)),
        }
    }

    /// A player's hunt in `window` of event `event`. Personal: generated for the player with the
    /// round set to the window's start (ms since the epoch). Shared: generated for the window
    /// (player id `race:<window name>`, level 1, from `start`), then given the player's id; its
    /// stages are everyone's.
    pub fn hunt(
        &self,
        world: &World,
        template: &Template,
        game_seed: u64,
        event: &str,
        window: &Window,
        player: &Player,
    ) -> Result<Hunt, HuntError> {
        let seeds = Seeds { game: game_seed, round: window.start_ms };
        match (self.mode, self.start) {
            (Mode::Shared, Some(start)) => {
                let race = Player::new(format!("race:{}", window_name(event, window)), start);
                let hunt = generate(world, template, &seeds, &race)?;
                Ok(Hunt::new(HuntBody { player: player.id.clone(), ..hunt.body }))
            }
            _ => generate(world, template, &seeds, player),
        }
    }

    /// A team's hunt in `window`: as [`EventSpec::hunt`], for the team (personal: its team hunt,
    /// [`crate::generate_team`]; shared: the window's hunt, given the team's id and members). The
    /// event's template must allow teams (`max_team`).
    pub fn team_hunt(
        &self,
        world: &World,
        template: &Template,
        game_seed: u64,
        event: &str,
        window: &Window,
        team: &Team,
    ) -> Result<Hunt, HuntError> {
        let seeds = Seeds { game: game_seed, round: window.start_ms };
        let hunt = crate::generate_team(world, template, &seeds, team)?;
        match self.mode {
            Mode::Shared => {
                let mut race = self.hunt(world, template, game_seed, event, window, &team.as_player())?.body;
                race.members = hunt.body.members;
                Ok(Hunt::new(race))
            }
            Mode::Personal => Ok(hunt),
        }
    }
}

/// A window's name: `<event>@<start_ms>`, the same on every server.
pub fn window_name(event: &str, window: &Window) -> String {
    format!("{event}@{}", window.start_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Event, Session, Status};
    use crate::world::procedural::{ProceduralWorld, WorldConfig};
    use crate::Point;

    const DEC_1: u64 = 1_796_083_200_000; // 2026-12-01T00:00:00Z
    const ONCE: &str = r#"{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z"}"#;

    fn problems(json: &str) -> Vec<String> {
        let e = EventSpec::from_json(json, DEC_1).unwrap_err();
        assert_eq!(e.code, "event_invalid");
        e.problems.iter().map(|(p, r)| format!("{p}: {r}")).collect()
    }

    #[test]
    fn a_definition_reads_with_its_defaults() {
        let e = EventSpec::from_json(&format!(r#"{{"template": "harbour", "schedule": {ONCE}}}"#), DEC_1).unwrap();
        assert_eq!(
            (e.max_players as u64, e.attempts, e.join_required, e.mode),
            (MAX_WINDOW_PLAYERS, 1, true, Mode::Personal)
        );
        assert_eq!(e.board, BoardSpec::default());
        assert!(e.payouts.is_none() && e.rules.is_none());
    }

    #[test]
    fn every_problem_is_told_at_its_path() {
        let json = r#"{"template": "", "schedule": {"cron": "0 0 30 2 *", "duration_s": 60},
            "max_players": 0, "attempts": 101, "mode": "shared",
            "board": {"score": "sideways"}, "payouts": {"rows": [{"rank": 0, "reward": 1}]}}"#;
        let found = problems(json);
        let paths: Vec<&str> = found.iter().map(|p| p.split(':').next().unwrap()).collect();
        assert_eq!(
            paths,
            ["template", "schedule.cron", "max_players", "attempts", "start", "board", "payouts.rows[0].rank"],
            "{found:?}"
        );
        assert_eq!(problems(r#"{"template": "t"}"#), ["schedule: is missing"]);
        assert!(problems(r#"{"template": "t", "schedule": {}, "colour": 1}"#)[0].contains("unknown field `colour`"));
        let personal_start = format!(r#"{{"template": "t", "schedule": {ONCE}, "start": {{"x": 1, "y": 2}}}}"#);
        assert!(problems(&personal_start)[0].starts_with("start: only a shared hunt"));
        let past = r#"{"template": "t", "schedule": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-01T01:00:00Z"}}"#;
        assert_eq!(problems(past), ["schedule.end: is in the past"]);
    }

    #[test]
    fn shared_hunts_are_one_hunt_and_personal_ones_follow_the_window() {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
        let template = Template::from_json(include_str!("../../../examples/harbour.json")).unwrap();
        let shared =
            format!(r#"{{"template": "h", "schedule": {ONCE}, "mode": "shared", "start": {{"x": 10, "y": -20}}}}"#);
        let shared = EventSpec::from_json(&shared, DEC_1).unwrap();
        let personal = EventSpec::from_json(&format!(r#"{{"template": "h", "schedule": {ONCE}}}"#), DEC_1).unwrap();
        let w1 = Window { start_ms: DEC_1 + 3_600_000, end_ms: DEC_1 + 7_200_000 };
        let w2 = Window { start_ms: DEC_1 + 86_400_000, end_ms: DEC_1 + 90_000_000 };
        let (ann, bob) = (Player::new("ann", Point::new(500.0, 500.0)), Player::new("bob", Point::new(-900.0, 0.0)));
        let a = shared.hunt(&world, &template, 1, "race", &w1, &ann).unwrap();
        let b = shared.hunt(&world, &template, 1, "race", &w1, &bob).unwrap();
        assert_eq!((a.player.as_str(), b.player.as_str()), ("ann", "bob"));
        assert_eq!(a.stages, b.stages);
        assert_eq!(a.start, Position::from(Point::new(10.0, -20.0)));
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(shared.hunt(&world, &template, 1, "race", &w2, &ann).unwrap().stages, a.stages);
        let p1 = personal.hunt(&world, &template, 1, "e", &w1, &ann).unwrap();
        assert_ne!(p1.stages, personal.hunt(&world, &template, 1, "e", &w1, &bob).unwrap().stages);
        assert_ne!(p1.stages, personal.hunt(&world, &template, 1, "e", &w2, &ann).unwrap().stages);
        assert_eq!(window_name("race", &w1), format!("race@{}", DEC_1 + 3_600_000));
    }

    #[test]
    fn a_closed_window_fails_an_active_session_and_freezes_it() {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
        let template = Template::from_json(include_str!("../../../examples/harbour.json")).unwrap();
        let hunt = generate(&world, &template, &Seeds { game: 1, round: 1 }, &Player::new("ann", Point::new(0.0, 0.0)))
            .unwrap();
        let mut session = Session::new(hunt, std::sync::Arc::new(crate::rules::Ruleset::default_rules()), 1_000);
        assert!(super::super::Finish::of(&session).is_none());
        let close = Event::WindowClosed { t: 61_000 };
        let out = session.apply(&close).unwrap();
        assert_eq!(session.state().status, Status::Failed);
        assert!(out
            .iter()
            .any(|o| matches!(o, crate::session::Outcome::HuntFailed { reason } if reason.contains("window"))));
        let finish = super::super::Finish::of(&session).unwrap();
        assert_eq!((finish.player.as_str(), finish.subscore, finish.completed), ("ann", 60.0, false));
        assert!(session.apply(&Event::Tick { t: 62_000 }).is_err());
        assert!(session.apply(&Event::WindowClosed { t: 62_000 }).is_err());
        // Its log: the header of the session as it opened, then the host's event.
        let rules = std::sync::Arc::new(crate::rules::Ruleset::default_rules());
        let mut fresh = Session::new(session.hunt().clone(), rules, 1_000);
        let header = crate::session::log::header(&fresh);
        fresh.apply(&close).unwrap();
        let log = format!("{header}\n{}", crate::session::log::line(&fresh, &close));
        let replayed = crate::session::log::replay(&log).unwrap().session;
        assert_eq!((replayed.state_hash(), replayed.state().status), (session.state_hash(), Status::Failed));
    }
}
