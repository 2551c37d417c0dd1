//! Durations as Alyx writes them: "30s", "5m", "1h", "1500ms", "1h30m", or a
//! bare number of seconds ("30", `timeout: 30`).

use std::time::Duration;

use super::decimal::{scale_decimal, split_number};

/// Nanoseconds per unit; the units of Go's `time.ParseDuration`, which Alyx used.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses a duration; it must be greater than zero.
///
/// Case-insensitive ("30S"), surrounding whitespace ignored, fractions allowed
/// ("1.5s"), segments may be chained ("1h30m"). A bare number means seconds.
/// Errors read `invalid duration "abc"`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {s:?}");
    let text = s.trim().to_lowercase();
    if text.starts_with('-') {
        return Err(format!("{}: must be greater than 0", invalid()));
    }
    let mut rest = text.as_str();
    let mut total: u128 = 0;
    let mut first = true;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        // Only a lone number may omit its unit: "30" yes, "1m30" no.
        let nanos = match (unit, first && next.is_empty()) {
            ("", true) => 1_000_000_000,
            _ => unit_nanos(unit).ok_or_else(invalid)?,
        };
        let part = scale_decimal(number, nanos).ok_or_else(invalid)?;
        total = total.checked_add(part).ok_or_else(invalid)?;
        rest = next;
        first = false;
    }
    if first {
        return Err(invalid());
    }
    if total == 0 {
        return Err(format!("{}: must be greater than 0", invalid()));
    }
    // Go's limit (~292 years) keeps every later conversion to u64 ms safe.
    let nanos = u64::try_from(total)
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(|| format!("{}: too large", invalid()))?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let ms = |s: &str| parse_duration(s).map(|d| d.as_millis());
        assert_eq!(ms("30s"), Ok(30_000));
        assert_eq!(ms("5m"), Ok(300_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1500ms"), Ok(1_500));
        assert_eq!(ms("30"), Ok(30_000));
        assert_eq!(ms(" 30S "), Ok(30_000));
        assert_eq!(ms("1.5s"), Ok(1_500));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("0.5"), Ok(500));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("3µs"), Ok(Duration::from_micros(3)));
        for bad in ["", "abc", "s", "5x", "1m30", "1..5s", "5 s", "+5s", "1e3s"] {
            assert_eq!(parse_duration(bad), Err(format!("invalid duration {bad:?}")));
        }
        for bad in ["0", "0s", "-5s", "0.0000000001s"] {
            assert!(parse_duration(bad).unwrap_err().ends_with("must be greater than 0"));
        }
        assert!(parse_duration("300000000000h").unwrap_err().ends_with("too large"));
    }
}
