//! Command output on standard output. A failed write never panics (`println!` would, exiting
//! 101): the first error is kept, later output is dropped, and [`finish`] decides the exit.
//! A closed pipe (`| head`) ends the command quietly, as other command-line tools do; any other
//! error (`> /dev/full`) is reported with exit status 2.

use super::Status;
use std::cell::RefCell;
use std::io::Write;

thread_local! {
    /// The first write error of the command running on this thread (the Python package runs
    /// commands in-process, possibly on several threads).
    static FAILED: RefCell<Option<std::io::Error>> = const { RefCell::new(None) };
    /// What to say after a write error, when the command already changed something.
    static COMMITTED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Starts a command: forgets any earlier error of this thread.
pub fn begin() {
    FAILED.with(|f| f.borrow_mut().take());
    COMMITTED.with(|c| c.borrow_mut().take());
}

/// Writes to standard output, unless an earlier write failed.
pub fn write(args: std::fmt::Arguments<'_>) {
    if failed() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        FAILED.with(|f| *f.borrow_mut() = Some(e));
    }
}

fn failed() -> bool {
    FAILED.with(|f| f.borrow().is_some())
}

/// Records that the command committed a change, described by `what`: a failure to print its
/// result must not read as a failure to make it (a caller retrying would apply it twice).
pub fn committed(what: String) {
    COMMITTED.with(|c| *c.borrow_mut() = Some(what));
}

/// Flushes standard output and turns a write error into the command's exit status.
pub fn finish(status: Status) -> Status {
    if !failed() {
        if let Err(e) = std::io::stdout().lock().flush() {
            FAILED.with(|f| *f.borrow_mut() = Some(e));
        }
    }
    let Some(error) = FAILED.with(|f| f.borrow_mut().take()) else {
        return status;
    };
    let committed = COMMITTED.with(|c| c.borrow_mut().take());
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        // Whoever read our output stopped reading: nothing to report.
        return status;
    }
    let note = committed
        .map(|what| format!("; {what} (the change was committed: do not retry it)"))
        .unwrap_or_default();
    eprintln!("error: cannot write to standard output: {error}{note}");
    Status::Error
}

/// `text` with control characters (C0, DEL, C1) shown as escapes (`\u{1b}`), for text output
/// of names that come from files (agent ids, tasks, paths): a terminal escape sequence in a
/// file name or a status file is printed, never interpreted.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::printable("agent-1"), "agent-1");
        assert_eq!(
            super::printable("a\u{1b}]0;pwned\u{7}b\n"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{a}"
        );
    }
}
