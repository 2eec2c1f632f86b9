//! How far a long call has come (an import, a replay), for a progress bar.

use serde::Serialize;

/// Rows, features or events between two progress reports.
pub const PROGRESS_EVERY: u64 = 8_192;

/// `done` of `total`: bytes of CSV or features of GeoJSON while an import reads (then its index
/// is built), events while a log replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Reading,
    Indexing,
    Replaying,
}
