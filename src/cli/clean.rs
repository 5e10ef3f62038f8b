//! `swarmcheck clean`: removes the results cache of a project.

use super::{fail, Status};
use crate::config;
use crate::lint;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// The project whose cache to remove [default: .]; its configuration file's directory is
    /// the project root, as for `check`.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The cache directory, when `check` was run with `--cache-dir`.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

pub fn run(args: CleanArgs) -> Status {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return fail(miette::miette!("cannot read the current directory: {e}")),
    };
    let dir = match &args.cache_dir {
        Some(d) => lint::discover::normalize(d, &cwd),
        None => {
            let start = lint::discover::normalize(&args.path, &cwd);
            let loaded = match config::find(&start)
                .as_deref()
                .map(config::load)
                .transpose()
            {
                Ok(l) => l,
                Err(e) => return fail(miette::Report::new(*e)),
            };
            config::project_root(loaded.as_ref(), &start, &cwd).join(".swarmcheck_cache")
        }
    };
    match lint::cache::clear(&dir) {
        Ok(c) if c.files == 0 => {
            eprintln!("No cache at {}.", dir.display());
            Status::Ok
        }
        Ok(c) => {
            eprintln!(
                "Removed {} ({} file{}, {} bytes).",
                dir.display(),
                c.files,
                if c.files == 1 { "" } else { "s" },
                c.bytes
            );
            Status::Ok
        }
        Err(e) => fail(miette::miette!("{e}")),
    }
}
