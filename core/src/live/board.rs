//! Leaderboards: finished attempts in, ranked entries out.
//!
//! A board orders by score, then by subscore (each ascending or descending: points high to low,
//! time low to high), then by player id, so that a listing never depends on arrival order.
//! Players with the same score and subscore share a rank, and the next rank skips ("1, 2, 2, 4").
//! A player's attempts count as their best, their sum or their last, as the board says.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Which end of a number ranks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Higher first (points).
    Descending,
    /// Lower first (times).
    Ascending,
}

impl Order {
    fn cmp(self, a: f64, b: f64) -> Ordering {
        match self {
            Order::Descending => b.total_cmp(&a),
            Order::Ascending => a.total_cmp(&b),
        }
    }
}

/// How a player's attempts in a window make their entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The attempt that ranks highest.
    #[default]
    Best,
    /// Scores added up, and subscores added up.
    Sum,
    /// The latest attempt.
    Last,
}

/// A leaderboard's rules: `{"score": "descending", "subscore": "ascending", "aggregate": "best"}`
/// (those are the defaults: points high to low, ties broken by the quicker finish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardSpec {
    pub score: Order,
    pub subscore: Order,
    pub aggregate: Aggregate,
}

impl Default for BoardSpec {
    fn default() -> BoardSpec {
        BoardSpec { score: Order::Descending, subscore: Order::Ascending, aggregate: Aggregate::Best }
    }
}

/// One finished attempt, as a session's log gives it: its points and, say, the seconds it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    pub player: String,
    pub score: f64,
    pub subscore: f64,
    /// It completed the hunt (rather than failing, or being closed with its window).
    #[serde(default)]
    pub completed: bool,
    /// A team's attempt: its members (`player` is the team's id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl Finish {
    /// An ended session's result: its points, and the seconds from its start to its last event
    /// (the one that completed it, failed it or closed its window). `None` while it is active.
    pub fn of(session: &crate::session::Session) -> Option<Finish> {
        let state = session.state();
        (state.status != crate::session::Status::Active).then(|| Finish {
            player: session.hunt().player.clone(),
            score: state.points as f64,
            subscore: (state.t - state.started_ms) as f64 / 1000.0,
            completed: state.status == crate::session::Status::Completed,
            members: session.hunt().members.clone(),
        })
    }
}

/// A player's place on a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// From 1; equal scores and subscores share one.
    pub rank: u32,
    pub player: String,
    pub score: f64,
    pub subscore: f64,
    /// Attempts that made the entry.
    pub attempts: u32,
    /// One of them completed the hunt (with `last`: the last one did).
    pub completed: bool,
    /// A team's entry: its members, as its last attempt listed them (`player` is the team's id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

/// Where a page of a ranking ends: the next page starts after this entry's place, however the
/// board has changed in between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub score: f64,
    pub subscore: f64,
    pub player: String,
}

/// A board's entries in rank order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub spec: BoardSpec,
    pub entries: Vec<Entry>,
}

impl BoardSpec {
    /// Whether `a` ranks before `b` (score, subscore, then player id).
    fn cmp(&self, a: (f64, f64, &str), b: (f64, f64, &str)) -> Ordering {
        self.score.cmp(a.0, b.0).then_with(|| self.subscore.cmp(a.1, b.1)).then_with(|| a.2.cmp(b.2))
    }

    /// Ranks finished attempts, given in the order they finished. Scores that are not finite
    /// (NaN, infinities) are left out: a session's outcomes never give them.
    pub fn rank<'f>(&self, finishes: impl IntoIterator<Item = &'f Finish>) -> Ranking {
        let mut by_player: BTreeMap<&str, (f64, f64, u32, bool)> = BTreeMap::new();
        let mut members: BTreeMap<&str, &[String]> = BTreeMap::new();
        for f in finishes.into_iter().filter(|f| f.score.is_finite() && f.subscore.is_finite()) {
            if !f.members.is_empty() {
                members.insert(&f.player, &f.members);
            }
            let entry = by_player.entry(&f.player).or_insert((f.score, f.subscore, 0, f.completed));
            if entry.2 > 0 {
                let (score, subscore, attempts, completed) = *entry;
                *entry = match self.aggregate {
                    Aggregate::Best if self.cmp((f.score, f.subscore, ""), (score, subscore, "")).is_lt() => {
                        (f.score, f.subscore, attempts, completed || f.completed)
                    }
                    Aggregate::Best => (score, subscore, attempts, completed || f.completed),
                    Aggregate::Sum => (score + f.score, subscore + f.subscore, attempts, completed || f.completed),
                    Aggregate::Last => (f.score, f.subscore, attempts, f.completed),
                };
            }
            entry.2 += 1;
        }
        let mut entries: Vec<Entry> = by_player
            .into_iter()
            .map(|(player, (score, subscore, attempts, completed))| Entry {
                rank: 0,
                player: player.to_owned(),
                score,
                subscore,
                attempts,
                completed,
                members: members.get(player).map_or_else(Vec::new, |m| m.to_vec()),
            })
            .collect();
        entries.sort_by(|a, b| self.cmp((a.score, a.subscore, &a.player), (b.score, b.subscore, &b.player)));
        for i in 0..entries.len() {
            let tied =
                i > 0 && entries[i - 1].score == entries[i].score && entries[i - 1].subscore == entries[i].subscore;
            entries[i].rank = if tied { entries[i - 1].rank } else { i as u32 + 1 };
        }
        Ranking { spec: *self, entries }
    }
}

impl Ranking {
    /// The first `n` entries.
    pub fn top(&self, n: usize) -> &[Entry] {
        &self.entries[..n.min(self.entries.len())]
    }

    /// A player's entry, if they have one.
    pub fn entry(&self, player: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.player == player)
    }

    /// A player's entry with up to `k` entries either side of it (empty if they have none).
    pub fn around(&self, player: &str, k: usize) -> &[Entry] {
        match self.entries.iter().position(|e| e.player == player) {
            Some(i) => &self.entries[i.saturating_sub(k)..(i + k + 1).min(self.entries.len())],
            None => &[],
        }
    }

    /// Up to `n` entries after `after` (from the start without one), and the cursor for the
    /// next page (none when this one reaches the end).
    pub fn page(&self, after: Option<&Cursor>, n: usize) -> (&[Entry], Option<Cursor>) {
        let start = after.map_or(0, |c| {
            self.entries.partition_point(|e| {
                self.spec.cmp((e.score, e.subscore, &e.player), (c.score, c.subscore, &c.player)).is_le()
            })
        });
        let end = start.saturating_add(n).min(self.entries.len());
        let page = &self.entries[start..end];
        let next = (end < self.entries.len() && n > 0).then(|| {
            let last = &self.entries[end - 1];
            Cursor { score: last.score, subscore: last.subscore, player: last.player.clone() }
        });
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finish(player: &str, score: f64, subscore: f64) -> Finish {
        Finish { player: player.into(), score, subscore, completed: false, members: Vec::new() }
    }

    fn ranks(r: &Ranking) -> Vec<(u32, &str, f64, f64)> {
        r.entries.iter().map(|e| (e.rank, e.player.as_str(), e.score, e.subscore)).collect()
    }

    #[test]
    fn points_high_to_low_then_time_low_to_high_ties_share_a_rank() {
        let finishes = [
            finish("cy", 300.0, 95.0),
            finish("ann", 500.0, 120.0),
            finish("bo", 300.0, 80.0),
            finish("di", 300.0, 95.0),
            finish("ed", 100.0, 10.0),
        ];
        let r = BoardSpec::default().rank(&finishes);
        assert_eq!(
            ranks(&r),
            vec![
                (1, "ann", 500.0, 120.0),
                (2, "bo", 300.0, 80.0),
                (3, "cy", 300.0, 95.0),
                (3, "di", 300.0, 95.0),
                (5, "ed", 100.0, 10.0)
            ]
        );
        // Arrival order does not matter.
        let mut reversed = finishes.to_vec();
        reversed.reverse();
        assert_eq!(BoardSpec::default().rank(&reversed), r);
        // Each order chosen on its own: time high to low too.
        let spec = BoardSpec { subscore: Order::Descending, ..BoardSpec::default() };
        assert_eq!(ranks(&spec.rank(&finishes))[1..3], [(2, "cy", 300.0, 95.0), (2, "di", 300.0, 95.0)]);
        let golf = BoardSpec { score: Order::Ascending, ..BoardSpec::default() };
        assert_eq!(golf.rank(&finishes).entries[0].player, "ed");
    }

    #[test]
    fn attempts_count_as_best_sum_or_last() {
        let finishes = [
            finish("ann", 100.0, 50.0),
            finish("bo", 150.0, 70.0),
            finish("ann", 200.0, 90.0),
            Finish { completed: true, ..finish("ann", 200.0, 60.0) },
            finish("ann", 20.0, 5.0),
        ];
        let by = |aggregate| BoardSpec { aggregate, ..BoardSpec::default() }.rank(&finishes);
        let best = by(Aggregate::Best);
        assert_eq!(
            best.entry("ann").map(|e| (e.score, e.subscore, e.attempts, e.completed)),
            Some((200.0, 60.0, 4, true))
        );
        assert_eq!(best.entry("bo").map(|e| e.completed), Some(false));
        let sum = by(Aggregate::Sum).entry("ann").map(|e| (e.score, e.subscore, e.completed));
        assert_eq!(sum, Some((520.0, 205.0, true)));
        let last = by(Aggregate::Last);
        assert_eq!(last.entry("ann").map(|e| (e.score, e.rank, e.completed)), Some((20.0, 2, false)));
        assert_eq!(last.entry("bo").map(|e| e.rank), Some(1));
        // Not finite: left out.
        let r = BoardSpec::default().rank(&[
            finish("x", f64::NAN, 0.0),
            finish("y", 1.0, f64::INFINITY),
            finish("z", 1.0, 1.0),
        ]);
        assert_eq!(ranks(&r), vec![(1, "z", 1.0, 1.0)]);
    }

    #[test]
    fn specs_read_from_json_with_defaults() {
        let spec: BoardSpec = serde_json::from_str(r#"{"aggregate": "sum"}"#).unwrap();
        assert_eq!(spec, BoardSpec { aggregate: Aggregate::Sum, ..BoardSpec::default() });
        assert_eq!((spec.score, spec.subscore), (Order::Descending, Order::Ascending));
        assert!(serde_json::from_str::<BoardSpec>(r#"{"score": "up"}"#).is_err());
        assert!(serde_json::from_str::<BoardSpec>(r#"{"scores": "ascending"}"#).is_err());
    }

    #[test]
    fn top_around_and_pages() {
        let finishes: Vec<Finish> = (0..10).map(|i| finish(&format!("p{i}"), f64::from(i), 0.0)).collect();
        let r = BoardSpec::default().rank(&finishes);
        assert_eq!(r.top(3).iter().map(|e| e.player.as_str()).collect::<Vec<_>>(), ["p9", "p8", "p7"]);
        assert_eq!(r.top(100).len(), 10);
        assert_eq!(r.around("p5", 2).iter().map(|e| e.rank).collect::<Vec<_>>(), [3, 4, 5, 6, 7]);
        assert_eq!(r.around("p9", 2).iter().map(|e| e.rank).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(r.around("nobody", 2).is_empty());
        // Pages of 4 walk the whole board once, in order.
        let (mut seen, mut after) = (vec![], None);
        loop {
            let (page, next) = r.page(after.as_ref(), 4);
            seen.extend(page.iter().map(|e| e.rank));
            match next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, (1..=10).collect::<Vec<_>>());
        // A cursor stays right when the board changes under it: p6 drops out, p9 improves.
        let cursor = r.page(None, 4).1.expect("more pages");
        let changed: Vec<Finish> =
            finishes.iter().filter(|f| f.player != "p6").cloned().chain([finish("p9", 50.0, 0.0)]).collect();
        let r2 = BoardSpec { aggregate: Aggregate::Last, ..BoardSpec::default() }.rank(&changed);
        let (page, _) = r2.page(Some(&cursor), 2);
        assert_eq!(page.iter().map(|e| e.player.as_str()).collect::<Vec<_>>(), ["p5", "p4"]);
    }
}
