//! Live events' pure parts (SPEC, "Live events"): how a leaderboard orders a window's results
//! ([`board`]) and how a payout table turns a frozen ranking into grants ([`payout`]). Both are
//! deterministic functions of their inputs, so every server (and a backend checking its grants)
//! computes the same ranks and the same grants from the same session logs; time, storage and
//! delivery are the server's.
//!
//! Groundwork: schedules (windows from a cron expression), the server's leaderboards and outbox,
//! and the admin API are not built yet.

pub mod board;
pub mod payout;

pub use board::{Aggregate, BoardSpec, Cursor, Entry, Finish, Order, Ranking};
pub use payout::{Grant, PayoutError, PayoutTable, Ranks};
