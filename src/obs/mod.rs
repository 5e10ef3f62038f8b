//! Observability: lock metrics (`lock.report`, `lock.optimize`, `obs.metrics`).

pub mod load;
pub mod lock_report;
pub mod optimize;

/// Parses `90s`, `15m`, `1h`, `3d` (a bare number is seconds).
pub fn parse_duration_s(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 90s, 15m, 1h, 3d)"))?;
    let factor = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        other => return Err(format!("unknown unit `{other}` in `{text}` (s, m, h, d)")),
    };
    if !(n.is_finite() && n >= 0.0) {
        return Err(format!("`{text}` must be a non-negative duration"));
    }
    Ok((n * factor) as i64)
}
