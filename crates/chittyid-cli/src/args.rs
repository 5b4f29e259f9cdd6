//! Raw command-line flags, as clap parses them, before any validation.
//!
//! Everything here is plain data; [`crate::config`] turns it into a checked configuration, so that a bad value is
//! reported once, as a usage error, before any work starts.

use std::path::PathBuf;

use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

/// Mint, validate and check ChittyIDs, or run a local ChittyID service.
#[derive(Debug, Parser)]
#[command(name = "chittyid", version, after_long_help = EXIT_CODES_HELP, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// Base URL of the ChittyID service. Plain http:// is accepted only for loopback hosts, unless
    /// --allow-http is given. Default is https://id.chitty.cc.
    #[arg(long, global = true, env = "CHITTYID_SERVICE_URL", value_name = "URL")]
    pub(crate) service_url: Option<String>,

    /// Accept a plain http:// service URL to a host that is not loopback. The token then crosses the network
    /// unencrypted: use it only on networks you trust. Default is off.
    #[arg(long, global = true, env = "CHITTYID_ALLOW_HTTP")]
    pub(crate) allow_http: bool,

    /// Bearer token sent to the service. It is never printed.
    #[arg(long, global = true, env = "CHITTY_ID_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,

    /// Start a local service inside this process, on an ephemeral loopback port with a temporary data folder, and
    /// send every request to it. The service and its data are gone when the command ends, except that a bulk `mint`
    /// keeps the data in OUTPUT.embedded until the job finishes, so that an interrupted job resumes.
    #[arg(long, global = true, env = "CHITTYID_EMBEDDED")]
    pub(crate) embedded: bool,

    /// Log more to stderr: -v info, -vv debug, -vvv trace. RUST_LOG, when set, takes precedence.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Export tracing spans over OTLP/HTTP to the OpenTelemetry collector at this base URL, such as
    /// http://127.0.0.1:4318. The spans go to URL/v1/traces. Default is no export, as is an empty value.
    #[cfg(feature = "otel")]
    #[arg(long, global = true, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_name = "URL")]
    pub(crate) otlp_endpoint: Option<String>,

    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// Returns the `--otlp-endpoint` value. An empty value means no export, because OpenTelemetry treats an empty
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` as unset.
    #[cfg(feature = "otel")]
    pub(crate) fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint.as_deref().filter(|value| !value.trim().is_empty())
    }

    /// Returns `None`, because a build without the `otel` feature has no `--otlp-endpoint`.
    #[cfg(not(feature = "otel"))]
    pub(crate) fn otlp_endpoint(&self) -> Option<&str> {
        None
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the local ChittyID service until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Mint one ID and print it, or mint one ID per record of an input file.
    Mint(MintArgs),
    /// Check IDs: offline by default, or by asking the service with --remote.
    Validate(ValidateArgs),
    /// Ask the service whether it is healthy.
    Health(HealthArgs),
    /// Connect a connection manager and print every connection event until Ctrl-C.
    Watch(WatchArgs),
    /// Connect and print the health report of the service, the connection and every resilience layer.
    Status(StatusArgs),
}

/// The help text of `serve --dashboard`.
const SERVE_DASHBOARD_HELP: &str = "Serve a live page of the service's own counters (/): mint rate, idempotent \
     replays, request rate and errors by status class, latency and active faults, with their data at /api/snapshot \
     and /events, on ADDR, such as 127.0.0.1:9465; port 0 picks a free port. It is a listener apart from --listen. \
     The page has no authentication, even with --token, so keep it on loopback unless every host that can reach \
     ADDR may read it.";

/// Flags of `chittyid serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port. Default is 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,

    /// Folder of the service's database; created when missing.
    #[arg(long, value_name = "DIR", env = "CHITTYID_DATA_DIR")]
    pub(crate) data: PathBuf,

    /// A bearer token the service accepts; repeat for several. Without any, the service accepts every request.
    // NOTE: the id "token" is shared with the global client flag on purpose: clap then gives `serve` this flag
    // instead of the global one, so `serve --token` names server tokens and reads CHITTYID_SERVER_TOKENS.
    #[arg(
        id = "token",
        long = "token",
        value_name = "TOKEN",
        env = "CHITTYID_SERVER_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub(crate) tokens: Vec<String>,

    /// Serve the admin routes (fault injection for tests). Default is off.
    #[arg(long)]
    pub(crate) enable_admin: bool,

    /// Serve the service's own dashboard on a second address.
    #[arg(long, value_name = "ADDR", long_help = SERVE_DASHBOARD_HELP)]
    pub(crate) dashboard: Option<String>,
}

/// Flags of `chittyid mint`.
#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    /// Entity type of a single mint: person, place, thing, event, authority, a letter P/L/T/E/A, or a legacy code
    /// such as PEO.
    #[arg(value_name = "ENTITY")]
    pub(crate) entity_type: Option<String>,

    /// Entity type for every record that names none in its entityType field; the same as ENTITY for a single mint.
    #[arg(long = "entity", value_name = "ENTITY")]
    pub(crate) entity: Option<String>,

    /// Region digit 1-9 of a single mint. Default is the service's (1).
    #[arg(long, value_name = "N")]
    pub(crate) region: Option<u8>,

    /// ISO 3166-1 alpha-3 jurisdiction of a single mint. Default is the service's (USA).
    #[arg(long, value_name = "CODE")]
    pub(crate) jurisdiction: Option<String>,

    /// Trust level 0-5 of a single mint. Default is the service's (0).
    #[arg(long, value_name = "N")]
    pub(crate) trust: Option<u8>,

    /// Input file of records, JSON Lines or CSV; mints one ID per record.
    #[arg(long, value_name = "FILE", requires = "output")]
    pub(crate) input: Option<PathBuf>,

    /// Output file: each input record with its chittyId added, in input order. Rejected records go to
    /// <FILE>.rejects.jsonl.
    #[arg(long, value_name = "FILE", requires = "input")]
    pub(crate) output: Option<PathBuf>,

    /// Format of the input file. Default is taken from its extension: .csv is CSV, anything else JSON Lines.
    /// The output file's format is taken from its own extension, else it is the input's.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<FormatArg>,

    /// Maximum number of mint requests in flight at once. Default is 16.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub(crate) concurrency: usize,

    /// How long a bulk job waits for an unreachable or failing service before it stops (exit code 3), such as
    /// 30s or 1h. Default is 15m.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub(crate) max_outage: Duration,

    /// With --embedded: kill the embedded service for 3 s after 30 % and after 70 % of the records, to show the
    /// job riding out outages.
    #[arg(long, requires = "input")]
    pub(crate) chaos: bool,

    /// Print the result as JSON on stdout: the minted ID's reply, or the bulk summary.
    #[arg(long)]
    pub(crate) json: bool,

    /// Serve the dashboard and metrics while the command runs.
    #[arg(long, value_name = "ADDR", long_help = crate::dashboard::LISTEN_HELP)]
    pub(crate) listen: Option<String>,
}

/// A record file format named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// Flags of `chittyid validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The IDs to check.
    #[arg(value_name = "ID", required = true)]
    pub(crate) ids: Vec<String>,

    /// Ask the service instead of checking offline.
    #[arg(long)]
    pub(crate) remote: bool,

    /// Print one JSON object per ID on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Flags of `chittyid health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// Print the service's health reply as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Flags of `chittyid watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Print one JSON object a line instead of human-readable lines.
    #[arg(long)]
    pub(crate) json: bool,

    /// Time between health checks, such as 500ms or 30s.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub(crate) health_interval: Duration,

    /// Time limit of one health check.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub(crate) health_timeout: Duration,

    /// First reconnect delay.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = humantime::parse_duration)]
    pub(crate) backoff_base: Duration,

    /// Maximum reconnect delay.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub(crate) backoff_cap: Duration,

    /// Reconnect attempts before giving up (FAILED). Default is unlimited.
    #[arg(long, value_name = "N")]
    pub(crate) max_attempts: Option<u32>,

    /// Turn off reconnect jitter (on by default).
    #[arg(long)]
    pub(crate) no_jitter: bool,

    /// Serve the dashboard and metrics while watching.
    #[arg(long, value_name = "ADDR", long_help = crate::dashboard::LISTEN_HELP)]
    pub(crate) listen: Option<String>,
}

/// Flags of `chittyid status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_parse_after_the_subcommand() {
        let cli = Cli::try_parse_from(["chittyid", "health", "--embedded", "--service-url", "http://127.0.0.1:1"])
            .expect("flags after the subcommand parse");
        assert!(cli.embedded);
        assert_eq!(cli.service_url.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn serve_token_is_the_server_list() {
        let cli = Cli::try_parse_from(["chittyid", "serve", "--data", "d", "--token", "a", "--token", "b"])
            .expect("serve parses");
        let Command::Serve(serve) = cli.command else { panic!("expected serve") };
        assert_eq!(serve.tokens, ["a", "b"]);
    }
}
