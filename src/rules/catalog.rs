//! Rule metadata compiled from the top-level `rules/<CODE>.toml` files: the single source for
//! `swarmcheck rule`, SARIF rule descriptors and the README table.

use crate::finding::Severity;
use serde::Deserialize;
use std::sync::OnceLock;

/// Every rule's TOML, in code order. `tests/catalog.rs` fails when a file in `rules/` is missing here.
const SOURCES: &[(&str, &str)] = &[
    ("SWC000", include_str!("../../rules/SWC000.toml")),
    ("SWC101", include_str!("../../rules/SWC101.toml")),
    ("SWC102", include_str!("../../rules/SWC102.toml")),
    ("SWC103", include_str!("../../rules/SWC103.toml")),
    ("SWC104", include_str!("../../rules/SWC104.toml")),
    ("SWC105", include_str!("../../rules/SWC105.toml")),
    ("SWC201", include_str!("../../rules/SWC201.toml")),
    ("SWC202", include_str!("../../rules/SWC202.toml")),
    ("SWC203", include_str!("../../rules/SWC203.toml")),
    ("SWC204", include_str!("../../rules/SWC204.toml")),
    ("SWC301", include_str!("../../rules/SWC301.toml")),
    ("SWC900", include_str!("../../rules/SWC900.toml")),
];

/// Documentation and defaults of one rule.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// Presets (`mem.leaks`, `mem.scan`, `mem.handles`, `mem.verify`) that include the rule.
    pub groups: Vec<String>,
    pub summary: String,
    pub why: String,
    pub bad: String,
    pub good: String,
    pub fix: String,
}

/// All rules, in code order.
pub fn all() -> &'static [RuleMeta] {
    static CATALOG: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(code, text)| {
                let meta: RuleMeta = toml::from_str(text)
                    .unwrap_or_else(|e| panic!("rules/{code}.toml is invalid: {e}"));
                assert_eq!(&meta.code, code, "rules/{code}.toml declares another code");
                meta
            })
            .collect()
    })
}

/// The metadata of `code`, if it is a known rule.
pub fn get(code: &str) -> Option<&'static RuleMeta> {
    all().iter().find(|m| m.code.eq_ignore_ascii_case(code))
}

impl RuleMeta {
    /// The rule's documentation as `swarmcheck rule CODE` prints it.
    pub fn text(&self) -> String {
        let groups = if self.groups.is_empty() {
            "none".to_string()
        } else {
            self.groups.join(", ")
        };
        let indent = |code: &str| {
            code.trim_matches('\n')
                .lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "{} {} ({})\nPresets: {groups}\n\n{}\n\nWhy\n{}\n\nBad\n{}\n\nGood\n{}\n\nFix\n{}\n",
            self.code,
            self.name,
            self.severity,
            self.summary.trim(),
            self.why.trim(),
            indent(&self.bad),
            indent(&self.good),
            self.fix.trim()
        )
    }
}

/// The Markdown rule table that the README must contain verbatim.
pub fn markdown_table() -> String {
    let mut out = String::from("| Code | Name | Severity | Presets | What it finds |\n");
    out.push_str("|---|---|---|---|---|\n");
    for m in all() {
        let groups = if m.groups.is_empty() {
            "-".to_string()
        } else {
            m.groups
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            m.code,
            m.name,
            m.severity,
            groups,
            m.summary.trim().replace('|', "\\|")
        ));
    }
    out
}
