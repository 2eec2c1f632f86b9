//! Schedules: when an event's windows open and close, in UTC.
//!
//! One window, `{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z"}`, or recurring
//! ones, `{"cron": "0 12 * * *", "duration_s": 3600, "from": "2026-12-01T00:00:00Z"}` (every day at
//! 12:00 for an hour, from the first of December; `"until"` ends the series). Cron expressions are
//! read by `croner` (five fields, or six with seconds first; `L`, `#` and `W` as POSIX/Vixie cron
//! extensions). Times are milliseconds since the Unix epoch, as sessions count them; a window
//! holds its start and not its end.

use super::LiveError;
use crate::limits::MAX_WINDOW_S;
use chrono::{DateTime, Utc};
use croner::Cron;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How far ahead a recurring schedule's windows are checked for overlaps, ms (a year).
const WINDOW_OVERLAP_HORIZON: u64 = 366 * 24 * 3600 * 1000;

/// Sessions open only inside a window: from `start_ms` to just before `end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Window {
    pub fn contains(&self, t_ms: u64) -> bool {
        (self.start_ms..self.end_ms).contains(&t_ms)
    }

    /// Whole seconds until it closes, from `t_ms` (0 once it has).
    pub fn seconds_left(&self, t_ms: u64) -> u64 {
        self.end_ms.saturating_sub(t_ms) / 1000
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    start: Option<String>,
    end: Option<String>,
    cron: Option<String>,
    duration_s: Option<u64>,
    from: Option<String>,
    until: Option<String>,
}

/// A checked schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    Once(Window),
    Every { cron: Box<Cron>, duration_ms: u64, from_ms: u64, until_ms: Option<u64> },
}

fn ms(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}

fn utc(t_ms: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(i64::try_from(t_ms).unwrap_or(i64::MAX)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A time in ms since the epoch as RFC 3339 in UTC, whole seconds (`2026-12-24T12:00:00Z`): how
/// schedules write times.
pub fn rfc3339(t_ms: u64) -> String {
    utc(t_ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Schedule {
    /// Reads and checks a schedule given as JSON, at `now_ms`: a schedule with no window ending
    /// after now (a window in the past, a series that has ended or whose cron never fires) is
    /// refused, as are empty or overlong windows and recurring windows that overlap.
    pub fn from_json(text: &str, now_ms: u64) -> Result<Schedule, LiveError> {
        let spec: Spec =
            serde_json::from_str(text).map_err(|e| LiveError::schedule(vec![("$".into(), e.to_string())]))?;
        let once = spec.start.is_some() || spec.end.is_some();
        let every = spec.cron.is_some() || spec.duration_s.is_some() || spec.from.is_some() || spec.until.is_some();
        if once == every {
            let reason = "needs start and end, or cron and duration_s (with from and until if wanted)";
            return Err(LiveError::schedule(vec![("$".into(), reason.into())]));
        }
        let mut problems = Vec::new();
        let schedule = if once {
            let start = time("start", spec.start.as_deref(), true, &mut problems);
            let end = time("end", spec.end.as_deref(), true, &mut problems);
            start.zip(end).and_then(|(start_ms, end_ms)| {
                length("end", end_ms.saturating_sub(start_ms), &mut problems)
                    .map(|_| Schedule::Once(Window { start_ms, end_ms }))
            })
        } else {
            let from_ms = time("from", spec.from.as_deref(), false, &mut problems).unwrap_or(0);
            let until_ms = time("until", spec.until.as_deref(), false, &mut problems);
            let cron = required("cron", spec.cron.as_deref(), &mut problems).and_then(|c| {
                Cron::from_str(c).map_err(|e| problems.push(("cron".into(), format!("{c:?} does not read: {e}")))).ok()
            });
            let duration = required("duration_s", spec.duration_s, &mut problems)
                .and_then(|d| length("duration_s", d.saturating_mul(1000), &mut problems));
            cron.zip(duration).map(|(cron, duration_ms)| Schedule::Every {
                cron: Box::new(cron),
                duration_ms,
                from_ms,
                until_ms,
            })
        };
        match schedule {
            Some(schedule) if problems.is_empty() => {
                schedule.check(now_ms).map_err(|p| LiveError::schedule(vec![p]))?;
                Ok(schedule)
            }
            _ => Err(LiveError::schedule(problems)),
        }
    }

    /// What only the windows themselves tell: one ends after now, and none overlaps the next.
    fn check(&self, now_ms: u64) -> Result<(), (String, String)> {
        match self {
            Schedule::Once(w) if w.end_ms <= now_ms => Err(("end".into(), "is in the past".into())),
            Schedule::Once(_) => Ok(()),
            Schedule::Every { cron, duration_ms, .. } => {
                let Some(first) = self.window_at_or_after(now_ms.saturating_sub(*duration_ms)) else {
                    return Err((
                        "cron".into(),
                        "opens no window after now (it never fires, or its series has ended)".into(),
                    ));
                };
                // Windows of one event may not overlap: each must close before the next opens.
                // Checked over the year ahead, or its first 10,000 windows.
                let horizon = first.start_ms.saturating_add(WINDOW_OVERLAP_HORIZON);
                let mut previous = first;
                for next in cron.iter_after(utc(first.start_ms)).map(ms).take_while(|&t| t <= horizon).take(10_000) {
                    if next < previous.end_ms {
                        return Err((
                            "duration_s".into(),
                            format!(
                                "windows overlap: one opens at {} and the next at {}, before it closes",
                                utc(previous.start_ms).to_rfc3339(),
                                utc(next).to_rfc3339()
                            ),
                        ));
                    }
                    previous = Window { start_ms: next, end_ms: next.saturating_add(*duration_ms) };
                }
                Ok(())
            }
        }
    }

    /// The first window starting at or after `t_ms`.
    fn window_at_or_after(&self, t_ms: u64) -> Option<Window> {
        match self {
            Schedule::Once(w) => (w.start_ms >= t_ms).then_some(*w),
            Schedule::Every { cron, duration_ms, from_ms, until_ms } => {
                // Cron times are whole seconds (croner keeps a search's milliseconds).
                let search = t_ms.max(*from_ms).div_ceil(1000).saturating_mul(1000);
                let start = ms(cron.find_next_occurrence(&utc(search), true).ok()?);
                (until_ms.is_none_or(|u| start < u))
                    .then_some(Window { start_ms: start, end_ms: start.saturating_add(*duration_ms) })
            }
        }
    }

    /// The window open at `t_ms`, if one is.
    pub fn current(&self, t_ms: u64) -> Option<Window> {
        let w = match self {
            Schedule::Once(w) => *w,
            Schedule::Every { duration_ms, .. } => self.window_at_or_after(t_ms.saturating_sub(*duration_ms - 1))?,
        };
        w.contains(t_ms).then_some(w)
    }

    /// The first window opening after `t_ms`.
    pub fn next(&self, t_ms: u64) -> Option<Window> {
        self.window_at_or_after(t_ms.saturating_add(1))
    }
}

/// A field's value, or a problem when it is missing.
fn required<T>(field: &str, v: Option<T>, problems: &mut Vec<(String, String)>) -> Option<T> {
    if v.is_none() {
        problems.push((field.into(), "is missing".into()));
    }
    v
}

/// An RFC 3339 time as ms since the epoch; `None` when absent (a problem if `needed`) or unreadable.
fn time(field: &str, v: Option<&str>, needed: bool, problems: &mut Vec<(String, String)>) -> Option<u64> {
    let text = if needed { required(field, v, problems)? } else { v? };
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) if t.timestamp_millis() >= 0 => Some(ms(t.with_timezone(&Utc))),
        Ok(_) => {
            problems.push((field.into(), format!("{text} is before 1970")));
            None
        }
        Err(e) => {
            problems.push((field.into(), format!("{text:?} is not an RFC 3339 time ({e})")));
            None
        }
    }
}

/// A window's length in ms, or a problem when it is zero or past the limit.
fn length(field: &str, ms: u64, problems: &mut Vec<(String, String)>) -> Option<u64> {
    let problem = if ms == 0 {
        "a window must last at least a second".to_owned()
    } else if ms > MAX_WINDOW_S * 1000 {
        format!("a window may last at most {MAX_WINDOW_S} s")
    } else {
        return Some(ms);
    };
    problems.push((field.into(), problem));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEC_1: u64 = 1_796_083_200_000; // 2026-12-01T00:00:00Z
    const HOUR: u64 = 3_600_000;
    const DAY: u64 = 24 * HOUR;

    fn at(text: &str) -> u64 {
        ms(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    fn problems(json: &str, now: u64) -> Vec<String> {
        Schedule::from_json(json, now).unwrap_err().problems.iter().map(|(p, r)| format!("{p}: {r}")).collect()
    }

    #[test]
    fn one_window_holds_its_start_and_not_its_end() {
        assert_eq!(at("2026-12-01T00:00:00Z"), DEC_1);
        assert_eq!(rfc3339(DEC_1 + 1_500), "2026-12-01T00:00:01Z");
        assert_eq!(at(&rfc3339(DEC_1 + 86_400_000)), DEC_1 + 86_400_000);
        let s = Schedule::from_json(r#"{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00+00:00"}"#, DEC_1)
            .unwrap();
        let (start, end) = (at("2026-12-24T12:00:00Z"), at("2026-12-24T13:00:00Z"));
        let w = Window { start_ms: start, end_ms: end };
        assert_eq!(s.current(start - 1), None);
        assert_eq!(s.next(start - 1), Some(w));
        assert_eq!(s.current(start), Some(w));
        assert_eq!(s.current(end - 1), Some(w));
        assert_eq!(s.current(end), None);
        assert_eq!(s.next(start), None);
        assert_eq!(w.seconds_left(start + 1500), 3598);
        assert_eq!(w.seconds_left(end + 5), 0);
    }

    #[test]
    fn recurring_windows_from_cron() {
        let s = Schedule::from_json(r#"{"cron": "0 12 * * *", "duration_s": 3600, "from": "2026-12-01T00:00:00Z", "until": "2026-12-04T00:00:00Z"}"#, DEC_1)
            .unwrap();
        let noon = |day: u64| DEC_1 + day * DAY + 12 * HOUR;
        let w = |day: u64| Window { start_ms: noon(day), end_ms: noon(day) + HOUR };
        assert_eq!(s.current(DEC_1), None);
        assert_eq!(s.next(DEC_1), Some(w(0)));
        assert_eq!(s.current(noon(1) + 59 * 60_000), Some(w(1)));
        assert_eq!(s.current(noon(1) + HOUR), None);
        assert_eq!(s.next(noon(1)), Some(w(2)));
        assert_eq!(s.next(noon(2)), None, "the series ends on the 4th");
        // Without from, windows are the cron's at any time: the same on every server.
        let any = Schedule::from_json(r#"{"cron": "30 */6 * * *", "duration_s": 600}"#, DEC_1).unwrap();
        assert_eq!(
            any.current(DEC_1 + 6 * HOUR + 35 * 60_000),
            Some(Window { start_ms: DEC_1 + 6 * HOUR + 1_800_000, end_ms: DEC_1 + 6 * HOUR + 2_400_000 })
        );
        // Seconds first, six fields: every 10 s for 5 s.
        let fast = Schedule::from_json(r#"{"cron": "*/10 * * * * *", "duration_s": 5}"#, DEC_1).unwrap();
        assert_eq!(fast.next(DEC_1), Some(Window { start_ms: DEC_1 + 10_000, end_ms: DEC_1 + 15_000 }));
    }

    #[test]
    fn bad_schedules_are_refused_at_their_paths() {
        let now = DEC_1;
        assert_eq!(
            problems(r#"{"start": "2026-11-24T12:00:00Z", "end": "2026-11-24T13:00:00Z"}"#, now),
            ["end: is in the past"]
        );
        assert_eq!(
            problems(r#"{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T12:00:00Z"}"#, now),
            ["end: a window must last at least a second"]
        );
        assert_eq!(
            problems(r#"{"start": "2026-12-24T12:00:00Z", "end": "2027-02-24T12:00:00Z"}"#, now),
            ["end: a window may last at most 2678400 s"]
        );
        assert_eq!(problems(r#"{"start": "2026-12-24T12:00:00Z"}"#, now), ["end: is missing"]);
        assert!(problems(r#"{"start": "tomorrow", "end": "2026-12-24T12:00:00Z"}"#, now)[0]
            .starts_with("start: \"tomorrow\" is not an RFC 3339 time"));
        assert_eq!(
            problems(r#"{"cron": "0 0 30 2 *", "duration_s": 60}"#, now),
            ["cron: opens no window after now (it never fires, or its series has ended)"]
        );
        assert_eq!(
            problems(r#"{"cron": "0 12 * * *", "duration_s": 60, "until": "2026-11-30T00:00:00Z"}"#, now),
            ["cron: opens no window after now (it never fires, or its series has ended)"]
        );
        assert_eq!(
            problems(r#"{"cron": "0 12 * * *", "duration_s": 0}"#, now),
            ["duration_s: a window must last at least a second"]
        );
        assert_eq!(
            problems(r#"{"cron": "*/5 * * * *", "duration_s": 301}"#, now)[0][..40],
            *"duration_s: windows overlap: one opens a"
        );
        assert!(
            Schedule::from_json(r#"{"cron": "*/5 * * * *", "duration_s": 300}"#, now).is_ok(),
            "back to back is not overlapping"
        );
        // Irregular gaps: Monday and Tuesday at noon, for 30 hours, overlap once a week.
        assert!(problems(r#"{"cron": "0 12 * * 1,2", "duration_s": 108000}"#, now)[0]
            .starts_with("duration_s: windows overlap"));
        assert_eq!(problems(r#"{"cron": "every day", "duration_s": 60}"#, now).len(), 1);
        assert_eq!(problems(r#"{"cron": "0 12 * * *"}"#, now), ["duration_s: is missing"]);
        assert_eq!(
            problems(r#"{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z", "cron": "0 12 * * *"}"#, now)
                [0][..2],
            *"$:"
        );
        assert_eq!(
            problems(r#"{"start": "2026-12-24T12:00:00Z", "end": "2026-12-24T13:00:00Z", "every": 1}"#, now)[0][..2],
            *"$:"
        );
        assert_eq!(crate::Coded::code(&Schedule::from_json("{}", now).unwrap_err()), "schedule_invalid");
    }
}
