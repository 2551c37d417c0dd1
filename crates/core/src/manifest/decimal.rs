//! Exact decimal arithmetic for "1.5h" and "0.5gb", without floats.
//!
//! Floats would make "0.3s" come out as 299_999_999 ns; integers keep every
//! written digit (up to 18 after the point) and overflow becomes an error.

/// `number` (ASCII `digits[.digits]` or `.digits`) times `unit`, rounded down.
/// `None` when `number` is not of that shape or the product overflows.
pub(super) fn scale_decimal(number: &str, unit: u128) -> Option<u128> {
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    let int_value: u128 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
    let whole = int_value.checked_mul(unit)?;
    // Digits past the 18th cannot change the result by a whole unit of anything we use.
    let frac = &frac_part[..frac_part.len().min(18)];
    if frac.is_empty() {
        return Some(whole);
    }
    let frac_value: u128 = frac.parse().ok()?;
    let scale = 10u128.pow(frac.len() as u32);
    whole.checked_add(frac_value.checked_mul(unit)? / scale)
}

/// Splits "1500ms" into ("1500", "ms"): the leading run of digits and dots.
pub(super) fn split_number(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_exactly() {
        assert_eq!(scale_decimal("1.5", 1000), Some(1500));
        assert_eq!(scale_decimal(".25", 100), Some(25));
        assert_eq!(scale_decimal("7.", 3), Some(21));
        assert_eq!(scale_decimal("0.3", 1_000_000_000), Some(300_000_000));
        for bad in ["", ".", "1.2.3", "-1", "1e3", " 1"] {
            assert_eq!(scale_decimal(bad, 1), None, "{bad:?}");
        }
        assert_eq!(scale_decimal("999999999999999999999999999999", u64::MAX as u128), None);
        assert_eq!(split_number("1500ms"), ("1500", "ms"));
        assert_eq!(split_number("µs"), ("", "µs"));
    }
}
