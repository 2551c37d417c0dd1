//! When a manifest schedule runs next (CONTRACT §13): cron (5 fields, an
//! optional leading seconds field, `@hourly`-style descriptors, robfig's
//! `@every 5m`) in the schedule's IANA time zone, intervals aligned to
//! multiples since the Unix epoch, and one-time RFC 3339 instants. The timer
//! loop lives with the host (JS: `lib/schedules.js`); see docs/SCHEDULES.md.

use chrono::{DateTime, Local, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

use crate::manifest::parse_duration;

/// A schedule's next run strictly after `after_ms` (epoch ms), or `None`
/// when it never runs again (a one-time instant at or before `after_ms`).
/// `Err` says why the expression or zone cannot be used.
pub fn next_run(kind: &str, expression: &str, timezone: Option<&str>, after_ms: i64) -> Result<Option<i64>, String> {
    let expression = expression.trim();
    match kind {
        "interval" => interval_next(expression, after_ms).map(Some),
        "one_time" => {
            let at = DateTime::parse_from_rfc3339(&expression.replacen(' ', "T", 1))
                .map_err(|e| format!("invalid RFC 3339 timestamp {expression:?}: {e}"))?
                .timestamp_millis();
            Ok((at > after_ms).then_some(at))
        }
        "cron" => match expression.strip_prefix("@every ") {
            Some(every) => interval_next(every, after_ms).map(Some),
            None => cron_next(expression, timezone, after_ms).map(Some),
        },
        other => Err(format!("unknown schedule type {other:?}")),
    }
}

/// The next multiple of the interval since the epoch after `after_ms`, so
/// replicas agree on every run's scheduled time.
fn interval_next(expression: &str, after_ms: i64) -> Result<i64, String> {
    let every = parse_duration(expression)?.as_millis();
    let every = i64::try_from(every).ok().filter(|ms| *ms > 0).ok_or("the interval must be at least 1ms")?;
    Ok((after_ms.div_euclid(every) + 1) * every)
}

fn cron_next(expression: &str, timezone: Option<&str>, after_ms: i64) -> Result<i64, String> {
    let mut cron = Cron::new(expression);
    cron.with_seconds_optional();
    let cron = cron.parse().map_err(|e| format!("invalid cron expression {expression:?}: {e}"))?;
    let after = Utc.timestamp_millis_opt(after_ms).single().ok_or("time out of range")?;
    match timezone.unwrap_or("UTC") {
        "UTC" => cron_next_in(&cron, after),
        "Local" => cron_next_in(&cron, after.with_timezone(&Local)),
        name => {
            let zone: Tz = name.parse().map_err(|_| format!("unknown time zone {name:?}"))?;
            cron_next_in(&cron, after.with_timezone(&zone))
        }
    }
}

/// croner matches wall-clock times: a time skipped by a DST change runs at
/// the first instant after the gap, a repeated one runs once (its first
/// occurrence). From inside the repeated hour, croner can answer an instant
/// that is already past; keep searching until it is after `after`.
fn cron_next_in<Z: TimeZone>(cron: &Cron, after: DateTime<Z>) -> Result<i64, String> {
    let after_ms = after.timestamp_millis();
    let mut from = after;
    for _ in 0..128 {
        let next = cron.find_next_occurrence(&from, false).map_err(|e| format!("no next run: {e}"))?;
        if next.timestamp_millis() > after_ms {
            return Ok(next.timestamp_millis());
        }
        from = next + chrono::Duration::minutes(1);
    }
    Err("no next run found".into())
}

#[cfg(test)]
mod tests;
