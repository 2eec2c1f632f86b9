//! Payout tables: a frozen ranking in, grants out, the same on every server.
//!
//! A table is a list of rows, each a selector and a reward (the game's own JSON, passed through):
//!
//! ```json
//! {"rows": [
//!   {"rank": 1, "reward": {"gems": 500}},
//!   {"ranks": [2, 10], "reward": {"gems": 100}},
//!   {"top_percent": 10, "reward": {"badge": "top-10"}},
//!   {"finishers": true, "reward": {"badge": "took part"}},
//!   {"completed": true, "reward": {"badge": "finisher"}}
//! ]}
//! ```
//!
//! `rank`, `ranks` (inclusive) and `top_percent` (the first ceil(p% of the entries) ranks) are
//! bands: an entry gets the first band row, in table order, that holds its rank, and no other
//! band. `finishers` rows go to every entry (every player whose attempt ended: completed, failed,
//! or closed with its window), `completed` rows to every entry that completed the hunt, beside its
//! band. Ties share a rank, so they share a
//! band. Fixed ranges may not overlap one another, and a `top_percent` row must be larger than
//! the ones before it (else its band would be empty): those tables are refused with every
//! problem at its path.

use super::board::Ranking;
use super::LiveError;
use crate::limits::MAX_PAYOUT_ROWS;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which entries a row pays.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranks {
    Rank(u32),
    Ranks(u32, u32),
    TopPercent(f64),
    Finishers,
    Completed,
}

/// A row as written, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowSpec {
    rank: Option<u32>,
    ranks: Option<(u32, u32)>,
    top_percent: Option<f64>,
    finishers: Option<bool>,
    completed: Option<bool>,
    reward: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableSpec {
    rows: Vec<RowSpec>,
}

/// A checked payout table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayoutTable {
    pub rows: Vec<(Ranks, Value)>,
}

/// One reward for one player: what the outbox delivers and a backend consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The same grant has the same key wherever and however often it is computed: a backend
    /// applies each key once.
    pub key: String,
    /// The event window it pays for (the caller's name for it).
    pub window: String,
    pub player: String,
    pub rank: u32,
    pub score: f64,
    pub subscore: f64,
    /// Index of the payout row.
    pub row: u32,
    pub reward: Value,
}

impl PayoutTable {
    /// Reads and checks a table given as JSON.
    pub fn from_json(text: &str) -> Result<PayoutTable, LiveError> {
        let spec: TableSpec =
            serde_json::from_str(text).map_err(|e| LiveError::payout(vec![("$".into(), e.to_string())]))?;
        PayoutTable::check(spec)
    }

    fn check(spec: TableSpec) -> Result<PayoutTable, LiveError> {
        let mut problems = Vec::new();
        let mut problem = |path: String, reason: String| problems.push((path, reason));
        if spec.rows.len() > MAX_PAYOUT_ROWS {
            problem("rows".into(), format!("has {} rows, more than {MAX_PAYOUT_ROWS}", spec.rows.len()));
        }
        let mut rows = Vec::new();
        // Fixed ranges so far (row, first, last), and the largest percentage so far.
        let mut fixed: Vec<(usize, u32, u32)> = Vec::new();
        let mut percent: Option<(usize, f64)> = None;
        for (i, row) in spec.rows.into_iter().enumerate() {
            let at = format!("rows[{i}]");
            let selectors = [
                row.rank.is_some(),
                row.ranks.is_some(),
                row.top_percent.is_some(),
                row.finishers.is_some(),
                row.completed.is_some(),
            ];
            if selectors.iter().filter(|s| **s).count() != 1 {
                problem(at.clone(), "needs exactly one of rank, ranks, top_percent, finishers, completed".into());
                continue;
            }
            let ranks = match (row.rank, row.ranks, row.top_percent, row.finishers) {
                (Some(r), ..) => Ranks::Rank(r),
                (_, Some((a, b)), ..) => Ranks::Ranks(a, b),
                (_, _, Some(p), _) => Ranks::TopPercent(p),
                (_, _, _, Some(_)) => Ranks::Finishers,
                _ => Ranks::Completed,
            };
            let range = match ranks {
                Ranks::Rank(r) => Some((r, r, format!("{at}.rank"))),
                Ranks::Ranks(a, b) => Some((a, b, format!("{at}.ranks"))),
                _ => None,
            };
            if let Some((a, b, path)) = range {
                if a == 0 {
                    problem(path, "ranks count from 1".into());
                } else if a > b {
                    problem(path, format!("is empty: {a} is after {b}"));
                } else if let Some((j, c, d)) = fixed.iter().find(|(_, c, d)| a <= *d && *c <= b) {
                    problem(path, format!("overlaps rows[{j}] (ranks {c} to {d})"));
                } else {
                    fixed.push((i, a, b));
                }
            }
            if let Ranks::TopPercent(p) = ranks {
                let path = format!("{at}.top_percent");
                if !(p > 0.0 && p <= 100.0) {
                    problem(path, format!("{p} is not in (0, 100]"));
                } else if let Some((j, q)) = percent.filter(|(_, q)| p <= *q) {
                    problem(path, format!("is empty: rows[{j}] pays the top {q}% before it"));
                } else {
                    percent = Some((i, p));
                }
            }
            if row.finishers == Some(false) {
                problem(format!("{at}.finishers"), "can only be true".into());
            }
            if row.completed == Some(false) {
                problem(format!("{at}.completed"), "can only be true".into());
            }
            match row.reward {
                Some(reward) => rows.push((ranks, reward)),
                None => problem(format!("{at}.reward"), "is missing".into()),
            }
        }
        if problems.is_empty() {
            Ok(PayoutTable { rows })
        } else {
            Err(LiveError::payout(problems))
        }
    }

    /// The grants a frozen ranking earns, in rank order (within a rank, by player, then row).
    pub fn grants(&self, window: &str, ranking: &Ranking) -> Vec<Grant> {
        let n = ranking.entries.len() as f64;
        let mut grants = Vec::new();
        for e in &ranking.entries {
            let band = self.rows.iter().position(|(ranks, _)| match *ranks {
                Ranks::Rank(r) => e.rank == r,
                Ranks::Ranks(a, b) => (a..=b).contains(&e.rank),
                // The first ceil(p% of n) ranks: 10% of 30 entries is ranks 1 to 3, of 5 is rank 1.
                Ranks::TopPercent(p) => f64::from(e.rank) <= (p * n / 100.0).ceil(),
                Ranks::Finishers | Ranks::Completed => false,
            });
            let everyone = self.rows.iter().enumerate().filter(|(_, (r, _))| match r {
                Ranks::Finishers => true,
                Ranks::Completed => e.completed,
                _ => false,
            });
            for row in band.into_iter().chain(everyone.map(|(i, _)| i)) {
                let key = crate::hash::sha256_hex(format!("{window}\u{0}{}\u{0}{row}", e.player).as_bytes());
                grants.push(Grant {
                    key: key[..32].to_owned(),
                    window: window.to_owned(),
                    player: e.player.clone(),
                    rank: e.rank,
                    score: e.score,
                    subscore: e.subscore,
                    row: row as u32,
                    reward: self.rows[row].1.clone(),
                });
            }
        }
        grants
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::board::{BoardSpec, Finish};
    use serde_json::json;

    fn ranking(n: u32) -> Ranking {
        let finishes: Vec<Finish> = (0..n)
            .map(|i| Finish {
                player: format!("p{i:02}"),
                score: f64::from(n - i),
                subscore: 0.0,
                completed: i % 2 == 0,
                members: Vec::new(),
            })
            .collect();
        BoardSpec::default().rank(&finishes)
    }

    fn table(v: Value) -> PayoutTable {
        PayoutTable::from_json(&v.to_string()).unwrap()
    }

    #[test]
    fn bands_go_first_match_in_table_order_and_finishers_rows_to_everyone() {
        let t = table(json!({"rows": [
            {"rank": 1, "reward": "gold"},
            {"ranks": [2, 3], "reward": "silver"},
            {"top_percent": 10, "reward": "top10"},
            {"top_percent": 25, "reward": "top25"},
            {"finishers": true, "reward": "badge"},
            {"completed": true, "reward": "medal"}
        ]}));
        let grants = t.grants("launch/1", &ranking(30));
        let of =
            |p: &str| grants.iter().filter(|g| g.player == p).map(|g| g.reward.as_str().unwrap()).collect::<Vec<_>>();
        // Even players completed their hunt (see `ranking`): they get the medal too.
        assert_eq!(of("p00"), ["gold", "badge", "medal"]);
        assert_eq!(of("p02"), ["silver", "badge", "medal"]);
        assert_eq!(of("p03"), ["top25", "badge"], "rank 4 is past the top 10% of 30 (3 ranks), within 25% (8)");
        assert_eq!(of("p07"), ["top25", "badge"]);
        assert_eq!(of("p08"), ["badge", "medal"]);
        assert_eq!(grants.len(), 8 + 30 + 15);
        // Grants name their window, rank, score and row; keys are stable and distinct.
        let g = &grants[0];
        assert_eq!((g.window.as_str(), g.rank, g.score, g.row), ("launch/1", 1, 30.0, 0));
        assert_eq!(t.grants("launch/1", &ranking(30)), grants);
        let keys: std::collections::BTreeSet<_> = grants.iter().map(|g| g.key.clone()).collect();
        assert_eq!(keys.len(), grants.len());
        assert_ne!(t.grants("launch/2", &ranking(30))[0].key, g.key);
        // Ties share a band: two players at rank 1 both get gold, and nobody is rank 2.
        let tied = BoardSpec::default().rank(&[
            Finish { player: "a".into(), score: 9.0, subscore: 1.0, completed: false, members: Vec::new() },
            Finish { player: "b".into(), score: 9.0, subscore: 1.0, completed: false, members: Vec::new() },
            Finish { player: "c".into(), score: 5.0, subscore: 1.0, completed: false, members: Vec::new() },
        ]);
        let g = t.grants("w", &tied);
        let bands: Vec<_> =
            g.iter().filter(|g| g.row < 4).map(|g| (g.player.as_str(), g.reward.as_str().unwrap())).collect();
        assert_eq!(bands, [("a", "gold"), ("b", "gold"), ("c", "silver")]);
        // A small board: 10% of 5 entries is the first rank.
        assert_eq!(table(json!({"rows": [{"top_percent": 10, "reward": 1}]})).grants("w", &ranking(5)).len(), 1);
        assert!(t.grants("w", &ranking(0)).is_empty());
    }

    #[test]
    fn bad_tables_are_refused_with_every_problem_at_its_path() {
        let problems = |v: Value| PayoutTable::from_json(&v.to_string()).unwrap_err().problems;
        let p = problems(json!({"rows": [
            {"ranks": [1, 10], "reward": 1},
            {"ranks": [5, 20], "reward": 2},
            {"ranks": [30, 21], "reward": 3},
            {"rank": 0, "reward": 4},
            {"top_percent": 20, "reward": 5},
            {"top_percent": 20, "reward": 6},
            {"top_percent": 150, "reward": 7},
            {"rank": 40, "top_percent": 5, "reward": 8},
            {"reward": 9},
            {"finishers": false, "reward": 10},
            {"rank": 50},
            {"completed": false, "reward": 12}
        ]}));
        let text: Vec<String> = p.iter().map(|(p, r)| format!("{p}: {r}")).collect();
        assert_eq!(
            text,
            [
                "rows[1].ranks: overlaps rows[0] (ranks 1 to 10)",
                "rows[2].ranks: is empty: 30 is after 21",
                "rows[3].rank: ranks count from 1",
                "rows[5].top_percent: is empty: rows[4] pays the top 20% before it",
                "rows[6].top_percent: 150 is not in (0, 100]",
                "rows[7]: needs exactly one of rank, ranks, top_percent, finishers, completed",
                "rows[8]: needs exactly one of rank, ranks, top_percent, finishers, completed",
                "rows[9].finishers: can only be true",
                "rows[10].reward: is missing",
                "rows[11].completed: can only be true",
            ]
        );
        let e = PayoutTable::from_json(r#"{"rows": [{"rank": 1, "reward": 1, "extra": 2}]}"#).unwrap_err();
        assert_eq!(crate::Coded::code(&e), "payout_invalid");
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
        let many = json!({"rows": (1..=MAX_PAYOUT_ROWS as u32 + 1).map(|r| json!({"rank": r, "reward": r})).collect::<Vec<_>>()});
        assert_eq!(problems(many)[0].0, "rows");
    }
}
