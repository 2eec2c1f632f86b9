//! Live events' pure parts (SPEC, "Live events"): when an event's windows open and close
//! ([`schedule`]), how a leaderboard orders a window's results ([`board`]) and how a payout table
//! turns a frozen ranking into grants ([`payout`]). All are
//! deterministic functions of their inputs, so every server (and a backend checking its grants)
//! computes the same ranks and the same grants from the same session logs; time, storage and
//! delivery are the server's.
//!
//! [`event`] holds what an event is (its definition) and the hunt a player gets in one of its windows.

pub mod board;
pub mod event;
pub mod payout;
pub mod schedule;

pub use board::{Aggregate, BoardSpec, Cursor, Entry, Finish, Order, Ranking};
pub use event::{window_name, EventSpec, Mode};
pub use payout::{Grant, PayoutTable, Ranks};
pub use schedule::{rfc3339, Schedule, Window};

/// Every problem with a live event's part (a schedule, a payout table), each with its path
/// (`rows[2].ranks`, `cron`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(|(p, r)| format!("{p}: {r}")).collect::<Vec<_>>().join("; "))]
pub struct LiveError {
    /// `schedule_invalid`, `payout_invalid` or `event_invalid`.
    pub code: &'static str,
    pub problems: Vec<(String, String)>,
}

impl LiveError {
    fn payout(problems: Vec<(String, String)>) -> LiveError {
        LiveError { code: "payout_invalid", problems }
    }

    fn schedule(problems: Vec<(String, String)>) -> LiveError {
        LiveError { code: "schedule_invalid", problems }
    }
}

impl crate::Coded for LiveError {
    fn code(&self) -> &'static str {
        self.code
    }

    fn path(&self) -> Option<String> {
        self.problems.first().map(|(p, _)| p.clone())
    }
}
