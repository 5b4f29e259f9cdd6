//! The documented exit codes, and how an error maps to one.
//!
//! Scripts branch on these codes, so each has one meaning and the mapping lives in one place. An error is
//! classified by walking its chain for a known cause: a usage error, a client error from the service, or a broken
//! pipe on stdout (which counts as success, because the reader simply stopped reading).

use std::io;
use std::process::ExitCode;

use chittyid::client::{Error as ClientError, ErrorKind};

/// The exit-code table shown by `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  some records or IDs were rejected (bulk mint, validate, or a mint the service rejected)
  2  usage error: a bad flag, value, URL or input file
  3  the service is unreachable or failed, or another fatal error
  4  the service rejected the token (HTTP 401 or 403)
  130  a bulk mint was interrupted by Ctrl-C: run the same command again to resume";

/// An exit code of the CLI; the numbers are part of its interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything succeeded.
    Success = 0,
    /// Some records or IDs were rejected; the rest succeeded.
    Rejected = 1,
    /// The command line or an input was unusable, so no work was done.
    Usage = 2,
    /// The service is unreachable or failed, or another fatal error happened.
    Fatal = 3,
    /// The service rejected the token.
    Unauthorized = 4,
    /// Ctrl-C stopped a bulk mint; its journal is saved and the same command resumes it.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// A problem with the command line or its inputs, reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// Picks the exit code of a failed command from the first cause in its chain that decides it.
pub(crate) fn classify(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if cause.is::<UsageError>() || cause.is::<chittyid::UrlError>() {
            return Exit::Usage;
        }
        if let Some(client) = cause.downcast_ref::<ClientError>() {
            return classify_client(client);
        }
        if is_broken_pipe(cause) {
            return Exit::Success;
        }
    }
    Exit::Fatal
}

/// Picks the exit code of a client error: 4 for a rejected token, 1 for a rejected request, 3 otherwise.
pub(crate) fn classify_client(error: &ClientError) -> Exit {
    match error.kind() {
        ErrorKind::Unauthorized { .. } | ErrorKind::Forbidden { .. } => Exit::Unauthorized,
        ErrorKind::Config { .. } => Exit::Usage,
        _ if is_rejection(error) => Exit::Rejected,
        _ => Exit::Fatal,
    }
}

/// Tells whether the service refused this one request, rather than failing as a whole: a `success: false` reply,
/// a 4xx status other than 401, 403, 408 and 429, or a provisional fallback ID.
pub(crate) fn is_rejection(error: &ClientError) -> bool {
    match error.kind() {
        ErrorKind::Rejected { .. } | ErrorKind::Provisional { .. } | ErrorKind::InvalidId { .. } => true,
        ErrorKind::Status { status, .. } => {
            status.is_client_error() && !matches!(status.as_u16(), 401 | 403 | 408 | 429)
        }
        _ => false,
    }
}

/// Tells whether an error is a broken pipe, such as stdout closed by `head`.
pub(crate) fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    error.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_error_maps_to_two() {
        let error = anyhow::Error::new(UsageError("bad".into())).context("parsing flags failed");
        assert_eq!(classify(&error), Exit::Usage);
    }

    #[test]
    fn broken_pipe_maps_to_success() {
        let error = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing stdout failed");
        assert_eq!(classify(&error), Exit::Success);
    }

    #[test]
    fn other_errors_are_fatal() {
        let error = anyhow::Error::new(io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(classify(&error), Exit::Fatal);
    }

    #[test]
    fn help_lists_every_code() {
        for exit in [Exit::Success, Exit::Rejected, Exit::Usage, Exit::Fatal, Exit::Unauthorized, Exit::Interrupted] {
            let line = format!("  {}  ", exit as u8);
            assert!(EXIT_CODES_HELP.contains(&line), "code {} is missing from the help", exit as u8);
        }
    }
}
