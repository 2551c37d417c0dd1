//! Memory sizes as Alyx writes them: "128mb", "1gb", "512m", or a bare number
//! of megabytes ("256", `memory: 256`).

use super::decimal::{scale_decimal, split_number};

/// Bytes per unit. Binary, like Alyx (`1gb` = 1024 MB): limits are set in MiB.
fn unit_bytes(unit: &str) -> Option<u128> {
    let power = match unit {
        "k" | "kb" | "ki" | "kib" => 1,
        "" | "m" | "mb" | "mi" | "mib" => 2,
        "g" | "gb" | "gi" | "gib" => 3,
        "t" | "tb" | "ti" | "tib" => 4,
        _ => return None,
    };
    Some(1024u128.pow(power))
}

/// The largest `memory` limit: 1 TiB (CONTRACT §14). Beyond it a limit means
/// nothing and its byte count could overflow.
pub const MAX_MEMORY_MB: u64 = 1024 * 1024;

/// Parses a memory size into whole megabytes (rounded up, so "1kb" is 1 MB);
/// it must be greater than zero and at most [`MAX_MEMORY_MB`]. Case-insensitive, surrounding whitespace and
/// fractions ("1.5gb") allowed. Errors read `invalid memory size "lots"`.
pub fn parse_memory_mb(s: &str) -> Result<u64, String> {
    let invalid = || format!("invalid memory size {s:?}");
    let text = s.trim().to_lowercase();
    if text.starts_with('-') {
        return Err(format!("{}: must be greater than 0", invalid()));
    }
    let (number, unit) = split_number(&text);
    let bytes = scale_decimal(number, unit_bytes(unit).ok_or_else(invalid)?).ok_or_else(invalid)?;
    if bytes == 0 {
        return Err(format!("{}: must be greater than 0", invalid()));
    }
    match u64::try_from(bytes.div_ceil(1024 * 1024)) {
        Ok(mb) if mb <= MAX_MEMORY_MB => Ok(mb),
        _ => Err(format!("{}: too large (at most 1 TiB)", invalid())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse_memory_mb("128mb"), Ok(128));
        assert_eq!(parse_memory_mb("1gb"), Ok(1024));
        assert_eq!(parse_memory_mb("512m"), Ok(512));
        assert_eq!(parse_memory_mb("1g"), Ok(1024));
        assert_eq!(parse_memory_mb("256"), Ok(256));
        assert_eq!(parse_memory_mb(" 128MB "), Ok(128));
        assert_eq!(parse_memory_mb("1024kb"), Ok(1));
        assert_eq!(parse_memory_mb("1kb"), Ok(1));
        assert_eq!(parse_memory_mb("1.5gb"), Ok(1536));
        assert_eq!(parse_memory_mb("2GiB"), Ok(2048));
        for bad in ["", "lots", "mb", "12 mb", "1.2.3g", "5pb"] {
            assert_eq!(parse_memory_mb(bad), Err(format!("invalid memory size {bad:?}")));
        }
        assert_eq!(parse_memory_mb("1tb"), Ok(MAX_MEMORY_MB));
        for huge in ["17592186044416", "1025gb", "2tb", "99999999999999999999999999gb"] {
            assert!(parse_memory_mb(huge).unwrap_err().ends_with("too large (at most 1 TiB)"), "{huge}");
        }
        for bad in ["0", "0mb", "-5mb", "0.0000001kb"] {
            assert!(parse_memory_mb(bad).unwrap_err().ends_with("must be greater than 0"));
        }
    }
}
