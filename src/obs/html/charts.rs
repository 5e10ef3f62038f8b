//! The report's charts, drawn with plotters' SVG backend as static inline SVG: readable without
//! scripts, printable, and checkable as text. Every chart takes data that is already reduced
//! to a bounded size (see `aggregate`), so no chart grows with the number of events.

use super::aggregate::{AgentRuns, Bucket, DocumentOutcomes, WaitHistogram, OUTCOMES};
use crate::obs::pulse::{PulseState, Totals};
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, SegmentValue, ValueFormatter};
use plotters::coord::types::RangedCoordi64;
use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 760;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

type Drawing<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Colours of the page, shared with its style sheet. Mid tones: legible on light and dark.
pub mod palette {
    pub const GOOD: &str = "#2da44e";
    pub const WITHIN: &str = "#bf8700";
    pub const BAD: &str = "#cf222e";
    pub const NONE: &str = "#8c959f";
    pub const LINE: &str = "#0969da";
    pub const P2: &str = "#fb8500";
    pub const P3: &str = "#bf8700";
    pub const PURPLE: &str = "#8250df";

    pub fn state(state: crate::obs::pulse::PulseState) -> &'static str {
        use crate::obs::pulse::PulseState::*;
        match state {
            Active => GOOD,
            Idle => LINE,
            Stale => P2,
            Blocked => BAD,
            Done => PURPLE,
            Unknown => NONE,
        }
    }

    pub fn outcome(outcome: crate::obs::load::Outcome) -> &'static str {
        use crate::obs::load::Outcome::*;
        match outcome {
            Ok => GOOD,
            Recovered => LINE,
            Timeout => P2,
            Error => BAD,
            Aborted => NONE,
        }
    }
}

fn color(hex: &str) -> RGBColor {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

fn font<'a>() -> TextStyle<'a> {
    ("sans-serif", 12).into_font().into()
}

/// Draws into an SVG string; a chart that cannot be drawn becomes a note, never a panic.
fn svg(height: u32, draw: impl FnOnce(&Drawing) -> DrawResult) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        draw(&root).and_then(|_| root.present().map_err(|e| e.into()))
    };
    match result {
        Ok(()) => out,
        Err(e) => format!(
            "<p class=\"note\">this chart could not be drawn: {}</p>",
            super::esc(&e.to_string())
        ),
    }
}

/// A time-axis label whose precision suits the span shown.
pub fn time_label(ms: i64, span_ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    let format = if span_ms > 3 * DAY {
        "%b %d"
    } else if span_ms > DAY / 2 {
        "%d %H:%M"
    } else {
        "%H:%M"
    };
    t.format(format).to_string()
}

fn dashed(
    from: (i64, f64),
    to: (i64, f64),
    hex: &str,
) -> DashedLineSeries<std::vec::IntoIter<(i64, f64)>, i32> {
    DashedLineSeries::new(vec![from, to], 6, 4, color(hex).stroke_width(1))
}

/// A chart over `start..end` (a time axis) with the page's margins, its mesh drawn: time labels
/// suited to the span, and `y_labels` labels on the y axis written by `y_label`.
fn time_chart<'a, 'b, Y>(
    root: &'a Drawing<'b>,
    start: i64,
    end: i64,
    y: impl AsRangedCoord<CoordDescType = Y, Value = f64>,
    y_labels: usize,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<TimeChart<'a, 'b, Y>, Box<dyn std::error::Error>>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(48)
        .build_cartesian_2d(start..end, y)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(y_labels)
        .x_label_formatter(&|t| time_label(*t, end - start))
        .y_label_formatter(y_label)
        .label_style(font())
        .draw()?;
    Ok(chart)
}

type TimeChart<'a, 'b, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordi64, Y>>;

/// A line with its entry in the chart's legend.
fn legend_line<Y>(
    chart: &mut TimeChart<'_, '_, Y>,
    points: impl IntoIterator<Item = (i64, f64)>,
    label: &str,
    hex: &str,
) -> DrawResult
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let c = color(hex);
    chart
        .draw_series(LineSeries::new(points, c.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    Ok(())
}

/// The legend of the lines drawn with `legend_line`, in the upper right corner.
fn draw_legend<'a, 'b: 'a, Y>(chart: &mut TimeChart<'a, 'b, Y>) -> DrawResult
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(color(palette::NONE))
        .label_font(font())
        .draw()?;
    Ok(())
}

/// Error budget left over the window, with the level where it is exhausted.
pub fn budget(points: &[(i64, f64)], start: i64, end: i64) -> String {
    let low = points.iter().map(|p| p.1).fold(0.0f64, f64::min) - 0.1;
    svg(200, |root| {
        let mut chart = time_chart(root, start, end, low..1.1, 6, &|v| {
            format!("{:.0}%", v * 100.0)
        })?;
        chart.draw_series(dashed((start, 0.0), (end, 0.0), palette::BAD))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((start, 0.0))
                + Text::new(
                    "budget exhausted",
                    (6, 3),
                    font().color(&color(palette::BAD)),
                ),
        ))?;
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color(palette::LINE).stroke_width(2),
        ))?;
        Ok(())
    })
}

/// The thresholds of the burn-rate alerts, drawn on the burn chart.
const BURN_LINES: [(f64, &str, &str); 4] = [
    (14.4, "14.4x P1 page-fast", palette::BAD),
    (6.0, "6x P2 page-slow", palette::P2),
    (3.0, "3x P3 ticket", palette::P3),
    (1.0, "1x budget pace", palette::NONE),
];
const BURN_FLOOR: f64 = 0.01;

/// Burn rate over each alert window, on a log scale with the alert thresholds.
pub fn burn(lines: &[(String, Vec<(i64, f64)>)], start: i64, end: i64) -> String {
    let top = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.1))
        .fold(30.0f64, f64::max)
        * 1.5;
    let colors = [palette::BAD, palette::P2, palette::LINE, palette::PURPLE];
    svg(230, |root| {
        let mut chart = time_chart(root, start, end, (BURN_FLOOR..top).log_scale(), 6, &|v| {
            format!("{v}x")
        })?;
        for (level, label, hex) in BURN_LINES {
            chart.draw_series(dashed((start, level), (end, level), hex))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((start, level))
                    + Text::new(label, (6, -14), font().color(&color(hex))),
            ))?;
        }
        for ((label, points), hex) in lines.iter().zip(colors.iter().cycle()) {
            let clamped = points.iter().map(|&(t, v)| (t, v.clamp(BURN_FLOOR, top)));
            legend_line(&mut chart, clamped, label, hex)?;
        }
        draw_legend(&mut chart)
    })
}

/// Good and bad over the window, one cell per bucket: green without bad events, amber while
/// within the objective's error budget, red beyond it, grey without events.
pub fn strip(buckets: &[Bucket], budget: f64, start: i64, end: i64) -> String {
    svg(58, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin_left(8)
            .margin_right(8)
            .x_label_area_size(22)
            .y_label_area_size(48)
            .build_cartesian_2d(start..end, 0f64..1f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_y_axis()
            .x_labels(8)
            .x_label_formatter(&|t| time_label(*t, end - start))
            .label_style(font())
            .draw()?;
        chart.draw_series(buckets.iter().map(|b| {
            let bad = b.total - b.good;
            let hex = if b.total == 0 {
                palette::NONE
            } else if bad == 0 {
                palette::GOOD
            } else if (bad as f64) <= budget * b.total as f64 {
                palette::WITHIN
            } else {
                palette::BAD
            };
            Rectangle::new([(b.start, 0.0), (b.end, 1.0)], color(hex).filled())
        }))?;
        Ok(())
    })
}

/// Lock waits in logarithmic bins, with p50/p95/p99 and the latency objective's threshold.
pub fn wait_histogram(h: &WaitHistogram, threshold_ms: Option<f64>) -> String {
    let (Some(first), Some(last)) = (h.bins.first(), h.bins.last()) else {
        return String::new();
    };
    let low = first.0;
    let high = last.1.max(threshold_ms.unwrap_or(0.0) * 1.5);
    let top = h.bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64 * 1.25;
    svg(240, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(56)
            .build_cartesian_2d((low..high).log_scale(), 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(10)
            .y_labels(5)
            .x_label_formatter(&|v| ms_label(*v))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("wait for the lock")
            .label_style(font())
            .draw()?;
        chart.draw_series(h.bins.iter().filter(|b| b.2 > 0).map(|&(lo, hi, n)| {
            Rectangle::new(
                [(lo, 0.0), (hi, n as f64)],
                color(palette::LINE).mix(0.75).filled(),
            )
        }))?;
        let mut marks: Vec<(f64, String, &str)> = Vec::new();
        if let Some(p) = &h.percentiles {
            marks.push((p.p50, format!("p50 {}", ms_label(p.p50)), palette::NONE));
            marks.push((p.p95, format!("p95 {}", ms_label(p.p95)), palette::NONE));
            marks.push((p.p99, format!("p99 {}", ms_label(p.p99)), palette::NONE));
        }
        if let Some(t) = threshold_ms {
            marks.push((t, format!("objective {}", ms_label(t)), palette::BAD));
        }
        for (i, (at, label, hex)) in marks.into_iter().enumerate() {
            let at = at.max(low);
            chart.draw_series(DashedLineSeries::new(
                vec![(at, 0.0), (at, top)],
                5,
                3,
                color(hex).stroke_width(if hex == palette::BAD { 2 } else { 1 }),
            ))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((at, top))
                    + Text::new(label, (4, 2 + 14 * i as i32), font().color(&color(hex))),
            ))?;
        }
        Ok(())
    })
}

/// `0.5ms`, `12ms`, `1.5s`.
pub fn ms_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", trim(ms / 1000.0))
    } else {
        format!("{}ms", trim(ms))
    }
}

fn trim(v: f64) -> String {
    let s = if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 0.1 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// One document's operations per bucket by outcome, on a log scale so that a handful of
/// timeouts shows next to thousands of successes; a bucket without any sits on the floor.
pub fn outcomes(doc: &DocumentOutcomes, start: i64, end: i64) -> String {
    const FLOOR: f64 = 0.8;
    let top = doc
        .buckets
        .iter()
        .flat_map(|(_, c)| c.iter())
        .copied()
        .max()
        .unwrap_or(1)
        .max(2) as f64
        * 2.0;
    let width = doc
        .buckets
        .get(1)
        .map_or(end - start, |b| b.0 - doc.buckets[0].0);
    svg(170, |root| {
        let mut chart = time_chart(root, start, end, (FLOOR..top).log_scale(), 4, &|v| {
            if *v < 1.0 {
                "0".into()
            } else {
                format!("{v:.0}")
            }
        })?;
        for (k, outcome) in OUTCOMES.iter().enumerate() {
            if doc.buckets.iter().all(|(_, c)| c[k] == 0) {
                continue;
            }
            let points = doc
                .buckets
                .iter()
                .map(|(t, counts)| (t + width / 2, (counts[k] as f64).max(FLOOR)));
            legend_line(
                &mut chart,
                points,
                outcome.as_str(),
                palette::outcome(*outcome),
            )?;
        }
        draw_legend(&mut chart)
    })
}

/// One row per agent, coloured by its state over time.
pub fn agents_timeline(rows: &[AgentRuns], start: i64, end: i64) -> String {
    let n = rows.len() as i32;
    let ids: Vec<String> = rows.iter().map(|r| shorten(&r.id, 22)).collect();
    let label_width = ids.iter().map(|i| i.chars().count()).max().unwrap_or(4) as u32 * 7 + 12;
    svg(34 + 18 * n as u32, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(22)
            .y_label_area_size(label_width.min(170))
            .build_cartesian_2d(start..end, (0..(n - 1).max(0)).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(8)
            .y_labels(n as usize)
            .x_label_formatter(&|t| time_label(*t, end - start))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    ids.get((n - 1 - *i) as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .label_style(font())
            .draw()?;
        chart.draw_series(rows.iter().enumerate().flat_map(|(i, row)| {
            let y = n - 1 - i as i32;
            row.runs.iter().map(move |&(from, to, state)| {
                Rectangle::new(
                    [
                        (from, SegmentValue::Exact(y)),
                        (to, SegmentValue::Exact(y + 1)),
                    ],
                    color(palette::state(state)).filled(),
                )
            })
        }))?;
        Ok(())
    })
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max - 1).collect();
    format!("{head}…")
}

/// Agents by state over time, stacked.
pub fn totals(points: &[(i64, Totals)], start: i64, end: i64) -> String {
    let top = points
        .iter()
        .map(|(_, t)| t.agents)
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    svg(200, |root| {
        let mut chart = time_chart(root, start, end, 0f64..top, 5, &|v| format!("{v:.0}"))?;
        // The top layer first, each lower one drawn over it: a stack without gaps.
        for k in (0..PulseState::ALL.len()).rev() {
            let layer = PulseState::ALL[..=k].iter();
            if points.iter().all(|(_, t)| t.get(PulseState::ALL[k]) == 0) {
                continue;
            }
            let c = color(palette::state(PulseState::ALL[k]));
            chart.draw_series(AreaSeries::new(
                points
                    .iter()
                    .map(|(time, t)| (*time, layer.clone().map(|s| t.get(*s)).sum::<u64>() as f64)),
                0.0,
                c.mix(0.85).filled(),
            ))?;
        }
        Ok(())
    })
}
