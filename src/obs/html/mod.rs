//! The HTML report: one self-contained page (styles inline, charts as inline SVG, no script,
//! nothing fetched) for `slo --output-format html` and `lock.report --output-format html`.
//! Sections come in the order an on-call reader asks: which objective is in trouble, since
//! when, how fast the budget burns, then the locks, the agents and the findings behind it.

pub mod aggregate;
pub mod charts;
mod locks;
mod slo_page;

pub use locks::lock_page;
pub use slo_page::{slo_page, AgentHistory, SloPage};

use std::fmt::Write as _;

const STYLE: &str = include_str!("style.css");

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn page_start(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"swarmcheck {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
}

pub(crate) fn page_end(out: &mut String) {
    let _ = write!(
        out,
        "<footer class=\"note\"><p>Written by swarmcheck {}. The page is self-contained: it loads nothing and runs no script.</p></footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A colour swatch and its label, for a chart's legend.
pub(crate) fn swatch(hex: &str, label: &str) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{hex}\"></span>{}",
        esc(label)
    )
}
