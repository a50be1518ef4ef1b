//! Durations for people: `1.23 ms`, `45 µs`, `2.5 s`.

/// Formats a duration in nanoseconds with three significant digits and a unit.
///
/// ```
/// use async_hooks_cli::units::duration;
/// assert_eq!(duration(950), "950 ns");
/// assert_eq!(duration(1_500), "1.50 µs");
/// assert_eq!(duration(50_123_456), "50.1 ms");
/// assert_eq!(duration(2_500_000_000), "2.50 s");
/// assert_eq!(duration(600_000_000_000), "600 s");
/// ```
pub fn duration(ns: u64) -> String {
    if ns < 1_000 {
        return format!("{ns} ns");
    }
    let (value, unit) = if ns < 1_000_000 {
        (ns as f64 / 1e3, "µs")
    } else if ns < 1_000_000_000 {
        (ns as f64 / 1e6, "ms")
    } else {
        (ns as f64 / 1e9, "s")
    };
    if value < 10.0 {
        format!("{value:.2} {unit}")
    } else if value < 100.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

/// Parses a duration such as `20ms`, `1.5s`, `300us`, `250µs`, `1000ns` (a bare number is
/// milliseconds).
///
/// # Errors
///
/// A text that is not a non-negative number with one of those units.
///
/// ```
/// use async_hooks_cli::units::parse_duration;
/// assert_eq!(parse_duration("20ms"), Ok(20_000_000));
/// assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
/// assert_eq!(parse_duration("7"), Ok(7_000_000));
/// assert!(parse_duration("fast").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "" | "ms" => 1e6,
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "s" => 1e9,
        "m" | "min" => 60e9,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: expected ns, us, ms, s or min"
            ))
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!("{text:?} is not a duration: expected a number and a unit, like 20ms")
    })?;
    let ns = value * scale;
    if !ns.is_finite() || ns < 0.0 || ns > u64::MAX as f64 {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(ns as u64)
}
