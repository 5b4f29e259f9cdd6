//! Tracing logs on stderr, kept apart from the user messages and machine output of the commands.
//!
//! `RUST_LOG` wins when set. Otherwise `serve` logs at info, so that it reports its start and stop, and the other
//! commands log warnings only, raised by each `-v` to info, debug and trace.

use tracing_subscriber::EnvFilter;

use crate::config::{CommandConfig, Config};

/// Installs the global tracing subscriber.
pub(crate) fn init(config: &Config) {
    let base = match config.command {
        CommandConfig::Serve(_) => 2,
        _ => 1,
    };
    let level = match base + config.verbose {
        0 | 1 => "warn",
        2 => "info",
        3 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A second install (impossible in this binary) would only be ignored.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
