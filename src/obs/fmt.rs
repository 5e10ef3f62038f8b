//! How observability outputs write times, durations and sizes, in one place so that every
//! report reads the same.

/// A duration in the largest whole unit: `42s`, `5m`, `3h`, `2d`.
pub fn human(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// A Unix-millisecond time as RFC 3339 UTC, to the second.
pub fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

/// A Unix-millisecond time as RFC 3339 UTC with milliseconds, for records read back by
/// machines (samples taken less than a second apart stay apart).
pub fn fmt_ms_exact(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// A window length as written in configs and labels: `5m`, `1h`, `30d`.
pub fn window_label(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms >= size && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// A byte count in binary units: `512 B`, `3.2 MB` (MiB, written MB as `ps` and `top` do).
pub fn bytes(n: f64) -> String {
    let a = n.abs();
    let (div, unit) = if a >= (1u64 << 30) as f64 {
        ((1u64 << 30) as f64, "GB")
    } else if a >= (1u64 << 20) as f64 {
        ((1u64 << 20) as f64, "MB")
    } else if a >= 1024.0 {
        (1024.0, "KB")
    } else {
        return format!("{n:.0} B");
    };
    format!("{:.1} {unit}", n / div)
}
