//! Command-line interface: clap definitions; each command calls the library and renders.

/// `println!` for command output: a write error never panics; it is recorded and reported
/// once when the command ends (see [`output`]).
macro_rules! outln {
    () => {
        $crate::cli::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write(format_args!($($arg)*))
    };
}

mod check;
mod clean;
mod lock;
pub(crate) mod output;
mod pulse;
mod rules;
mod server;
mod slo;
mod store;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where `slo`, `swarm.pulse` and `health.ping` find their data; what is left out comes from
/// the configuration's `[observe]` table.
#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Configuration file (default: swarmcheck.toml or pyproject.toml found from the project root up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lock metrics file or glob; repeatable. Overrides [observe] metrics.
    #[arg(long = "metrics", value_name = "PATH")]
    pub metrics: Vec<String>,
    /// Agent status directory, status file or orchestrator registry; repeatable. Overrides [observe] agents.
    #[arg(long = "agents", value_name = "PATH")]
    pub agents: Vec<PathBuf>,
    /// An agent that says it is active but has not updated for this long is stale (default 15m).
    #[arg(long, value_name = "DURATION")]
    pub stale_after: Option<String>,
    /// Evaluate at this time instead of now (RFC 3339); makes output reproducible.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

impl SourceArgs {
    pub fn flags(&self) -> crate::obs::sources::SourceFlags {
        crate::obs::sources::SourceFlags {
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            agents: self.agents.clone(),
            stale_after: self.stale_after.clone(),
            now: self.now.clone(),
        }
    }
}

/// Exit status of a command: 0 ok, 1 findings (or alerts) at the threshold, 2 usage, config or
/// internal error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    Failed = 1,
    Error = 2,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(s as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "swarmcheck",
    version,
    about = "Finds memory growth and cross-process JSON file races in Python multi-process systems.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Python files with the selected rules.
    Check(check::CheckArgs),
    /// Memory-growth rules at medium severity and above.
    #[command(name = "mem.leaks")]
    MemLeaks(check::CheckArgs),
    /// All memory-growth rules.
    #[command(name = "mem.scan")]
    MemScan(check::CheckArgs),
    /// File handles opened without a context manager (SWC301).
    #[command(name = "mem.handles")]
    MemHandles(check::CheckArgs),
    /// File-concurrency rules: unprotected JSON read-modify-write and friends.
    #[command(name = "mem.verify")]
    MemVerify(check::CheckArgs),
    /// Explain one rule.
    Rule(rules::RuleArgs),
    /// List all rules.
    Rules(rules::RulesArgs),
    /// Read and change a JSON document under the cross-process lock.
    Store(store::StoreArgs),
    /// Lock metrics per document: outcomes, success rate, retries, waits, contention, freshness.
    #[command(name = "lock.report")]
    LockReport(lock::ReportArgs),
    /// Recommend retry settings from the observed lock waits.
    #[command(name = "lock.optimize")]
    LockOptimize(lock::OptimizeArgs),
    /// The lock metrics as flat name/value pairs, for scripts.
    #[command(name = "obs.metrics")]
    ObsMetrics(lock::MetricsArgs),
    /// Agent states now, from agent status files and orchestrator registries.
    #[command(name = "swarm.pulse")]
    SwarmPulse(pulse::PulseArgs),
    /// One line per data source (agents, metrics log, scan report): alive or not.
    #[command(name = "health.ping")]
    HealthPing(pulse::PingArgs),
    /// SLO verdicts and P1/P2/P3 alerts from findings, lock metrics and agent pulse.
    Slo(slo::SloArgs),
    /// Remove the results cache of a project.
    Clean(clean::CleanArgs),
    /// Language server for editors (LSP over standard input and output).
    Server(server::ServerArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

pub fn main() -> ExitCode {
    run(std::env::args_os()).into()
}

/// Runs the command line `args` (program name first) and returns its exit status. The Python
/// package's `swarmcheck` command calls this with `sys.argv`.
pub fn run<I, A>(args: I) -> Status
where
    I: IntoIterator<Item = A>,
    A: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Status::Ok
                }
                _ => Status::Error,
            };
        }
    };
    output::begin();
    let status = match cli.command {
        Command::Check(args) => check::run(args, None),
        Command::Clean(args) => clean::run(args),
        Command::Server(args) => server::run(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "swarmcheck", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            Status::Ok
        }
        Command::MemLeaks(args) => check::run(args, Some("mem.leaks")),
        Command::MemScan(args) => check::run(args, Some("mem.scan")),
        Command::MemHandles(args) => check::run(args, Some("mem.handles")),
        Command::MemVerify(args) => check::run(args, Some("mem.verify")),
        Command::Rule(args) => rules::explain(args),
        Command::Rules(args) => rules::list(args),
        Command::Store(args) => store::run(args),
        Command::LockReport(args) => lock::report(args),
        Command::LockOptimize(args) => lock::optimize(args),
        Command::ObsMetrics(args) => lock::metrics(args),
        Command::SwarmPulse(args) => pulse::run(args),
        Command::HealthPing(args) => pulse::ping(args),
        Command::Slo(args) => slo::run(args),
    };
    output::finish(status)
}

/// Prints an error the way every command does (miette, to stderr) and returns exit status 2.
pub(crate) fn fail(report: miette::Report) -> Status {
    eprintln!("{report:?}");
    Status::Error
}

/// Writes `contents` to an output file the user named. A regular file (or a new one) is replaced
/// atomically: a uniquely named temporary file in the same directory, then a rename, so readers
/// never see half a report; it keeps the permissions of the file it replaces. Anything else (a
/// symlink, `/dev/stdout`, a FIFO) is written through, never replaced.
pub(crate) fn write_atomically(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::fs::{self, OpenOptions};
    use std::io::Write;
    let existing = fs::symlink_metadata(path).ok();
    if existing.as_ref().is_some_and(|m| !m.file_type().is_file()) {
        let mut f = OpenOptions::new().write(true).truncate(true).open(path)?;
        return f.write_all(contents).and_then(|_| f.flush());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut attempt = 0u32;
    let (tmp_path, mut tmp) = loop {
        let candidate = dir.join(format!(
            ".{name}.{}.{nanos}.{attempt}.tmp",
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 64 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = tmp
        .write_all(contents)
        .and_then(|_| tmp.sync_all())
        .and_then(|_| match &existing {
            Some(meta) => fs::set_permissions(&tmp_path, meta.permissions()),
            None => Ok(()),
        })
        .and_then(|_| fs::rename(&tmp_path, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    written
}
