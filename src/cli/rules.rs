//! `swarmcheck rule CODE` and `swarmcheck rules`.

use super::Status;
use crate::rules::catalog;
use clap::Args;

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule code, e.g. SWC301.
    code: String,
    /// Output format.
    #[arg(long, visible_alias = "format", value_parser = ["text", "json"], default_value = "text")]
    output_format: String,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, visible_alias = "format", value_parser = ["text", "json", "markdown"], default_value = "text")]
    output_format: String,
}

pub fn explain(args: RuleArgs) -> Status {
    let Some(meta) = catalog::get(&args.code) else {
        return super::fail(miette::miette!(
            help = "`swarmcheck rules` lists every rule",
            "unknown rule `{}`",
            args.code
        ));
    };
    if args.output_format == "json" {
        outln!(
            "{}",
            serde_json::to_string_pretty(meta).expect("serializable")
        );
        return Status::Ok;
    }
    outln!("{} {} ({})", meta.code, meta.name, meta.severity);
    let groups = if meta.groups.is_empty() {
        "none".to_string()
    } else {
        meta.groups.join(", ")
    };
    outln!("Presets: {groups}\n");
    outln!("{}\n", meta.summary.trim());
    outln!("Why\n{}\n", meta.why.trim());
    outln!("Bad\n{}\n", indent(&meta.bad));
    outln!("Good\n{}\n", indent(&meta.good));
    outln!("Fix\n{}", meta.fix.trim());
    Status::Ok
}

fn indent(code: &str) -> String {
    code.trim_matches('\n')
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn list(args: RulesArgs) -> Status {
    match args.output_format.as_str() {
        "json" => outln!(
            "{}",
            serde_json::to_string_pretty(catalog::all()).expect("serializable")
        ),
        "markdown" => out!("{}", catalog::markdown_table()),
        _ => {
            for m in catalog::all() {
                outln!(
                    "{}  {:<22} {:<6}  {}",
                    m.code,
                    m.name,
                    m.severity,
                    m.summary.trim()
                );
            }
        }
    }
    Status::Ok
}
