use super::*;

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
}

fn next(kind: &str, expr: &str, tz: Option<&str>, after: &str) -> Option<i64> {
    next_run(kind, expr, tz, ms(after)).unwrap()
}

#[test]
fn cron_in_a_zone_follows_its_wall_clock_across_dst() {
    // (expression, zone, after, expected next) — 2026 changes: Paris
    // springs forward on Mar 29 and falls back on Oct 25; New York on Mar 8
    // and Nov 1.
    let cases = [
        ("0 9 * * *", "Europe/Paris", "2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00"),
        ("0 9 * * *", "Europe/Paris", "2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00"),
        ("0 9 * * *", "Europe/Paris", "2026-10-25T06:00:00Z", "2026-10-25T08:00:00Z"),
        // 02:30 does not exist on Mar 8 in New York: it runs when the gap ends.
        ("30 2 * * *", "America/New_York", "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00"),
        ("30 2 * * *", "America/New_York", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"),
        // 01:30 happens twice on Nov 1: it runs once, at the first.
        ("30 1 * * *", "America/New_York", "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00"),
        ("30 1 * * *", "America/New_York", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"),
        // From inside the repeated hour, never an instant already past.
        ("*/15 * * * *", "America/New_York", "2026-11-01T01:10:00-05:00", "2026-11-01T02:00:00-05:00"),
        ("0 9 * * MON-FRI", "Asia/Tokyo", "2026-11-27T09:00:00+09:00", "2026-11-30T09:00:00+09:00"),
        ("@hourly", "UTC", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z"),
        ("@daily", "Europe/Paris", "2026-11-30T10:00:00Z", "2026-11-30T23:00:00Z"),
        ("*/10 * * * * *", "UTC", "2026-11-30T10:00:05Z", "2026-11-30T10:00:10Z"),
        ("@every 5m", "Europe/Paris", "2026-11-30T10:07:00Z", "2026-11-30T10:10:00Z"),
    ];
    for (expr, tz, after, want) in cases {
        assert_eq!(next("cron", expr, Some(tz), after), Some(ms(want)), "{expr} in {tz} after {after}");
    }
    assert_eq!(
        next("cron", "0 0 * * *", None, "2026-11-30T10:00:00Z"),
        Some(ms("2026-12-01T00:00:00Z")),
        "UTC by default"
    );
}

#[test]
fn intervals_are_multiples_since_the_epoch() {
    assert_eq!(next_run("interval", "1m", None, 90_500), Ok(Some(120_000)));
    assert_eq!(next_run("interval", "1m", None, 120_000), Ok(Some(180_000)), "strictly after");
    assert_eq!(next_run("interval", "250ms", None, 1_000), Ok(Some(1_250)));
    assert_eq!(next("interval", "1h", Some("Asia/Kolkata"), "2026-11-30T10:20:00Z"), Some(ms("2026-11-30T11:00:00Z")));
}

#[test]
fn one_time_fires_only_in_the_future() {
    let at = "2026-12-01T09:00:00+01:00";
    assert_eq!(next("one_time", at, None, "2026-11-30T00:00:00Z"), Some(ms(at)));
    assert_eq!(next("one_time", at, None, at), None);
    assert_eq!(next("one_time", "2020-01-01 00:00:00Z", None, "2026-11-30T00:00:00Z"), None);
}

#[test]
fn bad_input_says_why() {
    let err = |kind, expr, tz| next_run(kind, expr, tz, 0).unwrap_err();
    assert!(err("cron", "0 9 * *", None).contains("invalid cron expression"));
    assert!(err("cron", "0 9 * * *", Some("Mars/Olympus")).contains("unknown time zone"));
    assert!(err("interval", "soon", None).contains("invalid duration"));
    assert!(err("one_time", "tomorrow", None).contains("invalid RFC 3339"));
    assert!(err("weekly", "x", None).contains("unknown schedule type"));
}
