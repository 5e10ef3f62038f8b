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
    out!("{}", meta.text());
    Status::Ok
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
