//! Shape checks for schedule expressions and time zones. Deliberately shallow:
//! the scheduler that runs them is the real judge; this catches typos early.

use std::path::Path;

use super::duration::parse_duration;

/// RFC 3339: `2025-01-31T09:30:00Z`, `...T09:30:00.5+02:00`; a space may
/// replace the `T`. Ranges are checked (month, day of that month, hour...).
pub(super) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, chars: &[u8]| b.get(i).is_some_and(|c| chars.contains(c));
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return false;
    };
    let (Some(hour), Some(min), Some(sec)) = (num(11, 2), num(14, 2), num(17, 2)) else {
        return false;
    };
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    let zone_ok = match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b":")
                && num(i + 1, 2).is_some_and(|h| h < 24)
                && num(i + 4, 2).is_some_and(|m| m < 60)
        }
        _ => false,
    };
    zone_ok
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && min < 60
        && sec <= 60 // RFC 3339 allows a leap second
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cron expression: 5 fields (minute first) or 6 (seconds first), or one of
/// the descriptors of robfig/cron, the Go scheduler (`@daily`, `@every 5m`).
pub(super) fn check_cron(expr: &str) -> Result<(), String> {
    let expr = expr.trim();
    if let Some(every) = expr.strip_prefix("@every ") {
        return parse_duration(every).map(|_| ());
    }
    const DESCRIPTORS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    if expr.starts_with('@') {
        return match DESCRIPTORS.contains(&expr) {
            true => Ok(()),
            false => Err(format!("unknown cron descriptor {expr:?}")),
        };
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 && fields.len() != 6 {
        return Err(format!("invalid cron expression {expr:?}: expected 5 or 6 fields, got {}", fields.len()));
    }
    // Digits, names (JAN, MON), and the operators * / , - ? L W #.
    let allowed = |c: char| c.is_ascii_alphanumeric() || "*/,-?#".contains(c);
    match fields.iter().find(|f| !f.chars().all(allowed)) {
        Some(bad) => Err(format!("invalid cron expression {expr:?}: bad field {bad:?}")),
        None => Ok(()),
    }
}

/// An IANA zone name ("Europe/Paris"), "UTC" or "Local". Where the system
/// has a zoneinfo database the zone must exist in it; elsewhere (Windows)
/// only the shape of the name is checked.
pub(super) fn is_time_zone(name: &str) -> bool {
    if name == "UTC" || name == "Local" {
        return true;
    }
    let segment_ok = |seg: &str| {
        seg.starts_with(|c: char| c.is_ascii_alphabetic())
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
    };
    if !name.split('/').all(segment_ok) {
        return false; // also rejects "", "/abs", "a//b" and any ".."
    }
    let db = Path::new("/usr/share/zoneinfo");
    if !db.is_dir() {
        return true;
    }
    // A real zone is a TZif file; this excludes directories and zone.tab & co.
    let mut magic = [0u8; 4];
    std::fs::File::open(db.join(name))
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"TZif")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in [
            "2025-01-31T09:30:00Z",
            "2025-01-31t09:30:00z",
            "2025-01-31 09:30:00+02:00",
            "2024-02-29T23:59:60.123456789-05:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "invalid",
            "2025-01-31",
            "2025-01-31T09:30:00",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-01-31T24:00:00Z",
            "2025-01-31T09:30:00.Z",
            "2025-01-31T09:30:00+2:00",
            "2025-01-31T09:30:00Z junk",
            "2025-01-31T09:30:00+02:00:00",
            "２025-01-31T09:30:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn crons() {
        for ok in ["0 0 * * *", "*/5 * * * * *", "0 9 * * MON-FRI", "@daily", "@every 90s"] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in ["* * * *", "0 0 * * * * *", "0 0 * * $", "@sometimes", "@every x"] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones() {
        for ok in ["UTC", "Local"] {
            assert!(is_time_zone(ok));
        }
        for bad in ["", "Not A Zone", "../etc/passwd", "/etc/localtime", "Europe//Paris"] {
            assert!(!is_time_zone(bad), "{bad}");
        }
        if Path::new("/usr/share/zoneinfo/America/New_York").exists() {
            assert!(is_time_zone("America/New_York"));
            assert!(!is_time_zone("Invalid/Timezone"));
            assert!(!is_time_zone("America"));
            assert!(!is_time_zone("zone.tab"));
        }
    }
}
