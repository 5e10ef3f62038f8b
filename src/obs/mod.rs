//! Observability: lock metrics (`lock.report`, `lock.optimize`, `obs.metrics`), agent pulse
//! (`swarm.pulse`, `health.ping`) and SLOs (`slo`).

pub mod cycles;
pub mod fmt;
pub mod html;
pub mod load;
pub mod lock_report;
pub mod optimize;
pub mod process;
pub mod pulse;
pub mod slo;
pub mod sources;

/// Parses `90s`, `15m`, `1h`, `3d` (a bare number is seconds).
pub fn parse_duration_s(text: &str) -> Result<i64, String> {
    parse_duration_ms(text).map(|ms| ms / 1000)
}

const MAX_DURATION_MS: f64 = 100.0 * 365.25 * 86_400_000.0;

/// Parses `500ms`, `90s`, `15m`, `1h`, `3d` into milliseconds (a bare number is seconds).
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 500ms, 90s, 15m, 1h, 3d)"))?;
    let factor = match unit {
        "ms" => 1.0,
        "" | "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (ms, s, m, h, d)"
            ))
        }
    };
    if !(n.is_finite() && n >= 0.0) {
        return Err(format!("`{text}` must be a non-negative duration"));
    }
    // Past a century, arithmetic on Unix milliseconds would overflow; no window needs that.
    if n * factor > MAX_DURATION_MS {
        return Err(format!("`{text}` is longer than 100 years"));
    }
    Ok((n * factor).round() as i64)
}
