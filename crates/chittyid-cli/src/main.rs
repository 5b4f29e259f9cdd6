//! `chittyid`: mint, validate and check ChittyIDs, or run a local ChittyID service.
//!
//! Flags are parsed in two stages, as in ripgrep: clap turns the command line into raw flags ([`args`]), and
//! [`config`] checks them into a configuration, so every usage error surfaces before any work starts. Each command
//! lives in its own module under [`commands`]. User messages go to stdout and stderr; tracing logs go to stderr
//! and are filtered by `RUST_LOG` or `-v`. Errors print their whole chain and map to the exit codes of [`exit`].

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod args;
mod bulk;
mod commands;
mod config;
mod dashboard;
mod embedded;
mod exit;
mod logging;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;
use crate::config::Config;
use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with exit code 0; a closed stdout is no failure there either.
            let _ = error.print();
            return if error.use_stderr() { Exit::Usage } else { Exit::Success }.into();
        }
    };
    let otlp_endpoint = cli.otlp_endpoint().map(str::to_owned);
    let config = match Config::from_cli(cli) {
        Ok(config) => config,
        Err(error) => {
            output::report_error(&error);
            return exit::classify(&error).into();
        }
    };
    // Declared before the runtime, so it is dropped after it, and sends the last spans once the command has ended.
    let _logging = match logging::init(&config, otlp_endpoint.as_deref()) {
        Ok(guard) => guard,
        Err(error) => {
            output::report_error(&error);
            return Exit::Usage.into();
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::report_error(&anyhow::Error::new(error).context("cannot start the async runtime"));
            return Exit::Fatal.into();
        }
    };
    match runtime.block_on(commands::run(config)) {
        Ok(exit) => exit.into(),
        Err(error) => {
            let exit = exit::classify(&error);
            if exit != Exit::Success {
                output::report_error(&error);
            }
            exit.into()
        }
    }
}
