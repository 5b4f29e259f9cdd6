//! User-facing output: lines on stdout, and errors with their chain on stderr.
//!
//! Writing stdout goes through here, so a closed pipe (`chittyid validate … | head -1`) surfaces as an
//! `io::Error` of kind `BrokenPipe`, which the exit code mapping treats as success, instead of a panic.

use std::io::{self, Write};

/// Writes `text` and a newline to stdout and flushes it.
///
/// # Errors
///
/// Returns the I/O error, such as a broken pipe.
pub(crate) fn print_line(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()
}

/// Prints an error and each of its causes on stderr, one per line.
pub(crate) fn report_error(error: &anyhow::Error) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "chittyid: error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}
