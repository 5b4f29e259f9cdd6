//! The validated configuration: what [`crate::args`] parsed, checked and resolved into what each command needs.
//!
//! Every check that needs no network happens here, so a bad flag is a usage error (exit code 2) reported before any
//! service is started or contacted.

use std::net::SocketAddr;
use std::path::PathBuf;

use chittyid::format::EntityType;
use chittyid::{ServiceUrl, Token};

use crate::args::{Cli, Command, FormatArg, HealthArgs, MintArgs, ServeArgs, StatusArgs, ValidateArgs, WatchArgs};
use crate::bulk::{BulkJob, Format};
use crate::commands::WatchSettings;
use crate::exit::UsageError;

/// The whole validated configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// How many `-v` flags were given.
    pub(crate) verbose: u8,
    /// The command to run.
    pub(crate) command: CommandConfig,
}

/// One command, with everything it needs.
#[derive(Debug)]
pub(crate) enum CommandConfig {
    /// `chittyid serve`.
    Serve(ServeConfig),
    /// `chittyid mint ENTITY`.
    MintOne {
        /// The service that receives the request.
        service: ServiceConfig,
        /// The mint parameters.
        request: MintOne,
        /// Print the result as JSON.
        json: bool,
        /// The address of the dashboard and metrics, from `--listen`.
        listen: Option<SocketAddr>,
    },
    /// `chittyid mint --input FILE --output FILE`.
    MintBulk {
        /// The service that receives the requests.
        service: ServiceConfig,
        /// The job.
        job: BulkJob,
        /// Print the summary as JSON on stdout.
        json: bool,
        /// The address of the dashboard and metrics, from `--listen`.
        listen: Option<SocketAddr>,
    },
    /// `chittyid validate ID…`.
    Validate {
        /// The IDs to check.
        ids: Vec<String>,
        /// The service to ask, with `--remote`; offline otherwise.
        remote: Option<ServiceConfig>,
        /// Print one JSON object per ID.
        json: bool,
    },
    /// `chittyid watch`.
    Watch {
        /// The service to watch.
        service: ServiceConfig,
        /// The manager's settings and the output form.
        settings: WatchSettings,
    },
    /// `chittyid status`.
    Status {
        /// The service to report on.
        service: ServiceConfig,
        /// Print the report as JSON.
        json: bool,
    },
    /// `chittyid health`.
    Health {
        /// The service to ask.
        service: ServiceConfig,
        /// Print the reply as JSON.
        json: bool,
    },
}

/// The service a command sends requests to, and the token it sends.
#[derive(Debug, Clone)]
pub(crate) struct ServiceConfig {
    /// The service's location.
    pub(crate) target: Target,
    /// The bearer token, if any.
    pub(crate) token: Option<Token>,
}

/// The service's location.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A running service at this base URL.
    Url(ServiceUrl),
    /// A local service started inside this process for the command's duration.
    Embedded,
}

/// The parameters of a single mint.
#[derive(Debug, Clone)]
pub(crate) struct MintOne {
    /// The entity type.
    pub(crate) entity: EntityType,
    /// Region 1-9, when given.
    pub(crate) region: Option<u8>,
    /// Jurisdiction code, when given.
    pub(crate) jurisdiction: Option<String>,
    /// Trust level 0-5, when given.
    pub(crate) trust: Option<u8>,
}

/// The configuration of `chittyid serve`.
#[derive(Debug, Clone)]
pub(crate) struct ServeConfig {
    /// Address to listen on.
    pub(crate) listen: SocketAddr,
    /// Folder of the database.
    pub(crate) data: PathBuf,
    /// Tokens the service accepts; empty accepts every request.
    pub(crate) tokens: Vec<Token>,
    /// Whether to serve the admin routes.
    pub(crate) enable_admin: bool,
    /// The address of the service's own dashboard, from `--dashboard`.
    pub(crate) dashboard: Option<SocketAddr>,
}

impl Config {
    /// Validates the parsed flags.
    ///
    /// # Errors
    ///
    /// Returns a [`UsageError`] (or a [`chittyid::UrlError`]) naming the bad flag or value.
    pub(crate) fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let service = || service_config(&cli);
        let command = match &cli.command {
            Command::Serve(args) => {
                if cli.embedded {
                    return Err(usage("--embedded cannot be combined with serve, which runs a service itself"));
                }
                CommandConfig::Serve(serve_config(args)?)
            }
            Command::Mint(args) => mint_config(args, service()?)?,
            Command::Validate(ValidateArgs { ids, remote, json }) => {
                let remote = if *remote { Some(service()?) } else { None };
                CommandConfig::Validate { ids: ids.clone(), remote, json: *json }
            }
            Command::Health(HealthArgs { json }) => CommandConfig::Health { service: service()?, json: *json },
            Command::Watch(args) => CommandConfig::Watch { service: service()?, settings: watch_settings(args)? },
            Command::Status(StatusArgs { json }) => CommandConfig::Status { service: service()?, json: *json },
        };
        Ok(Config { verbose: cli.verbose, command })
    }
}

fn watch_settings(args: &WatchArgs) -> anyhow::Result<WatchSettings> {
    let backoff = chittyid::Backoff::new()
        .base(args.backoff_base)
        .cap(args.backoff_cap)
        .max_attempts(args.max_attempts)
        .jitter(!args.no_jitter);
    backoff.validate().map_err(|error| usage(format!("invalid backoff flags: {error}")))?;
    if args.health_interval.is_zero() || args.health_timeout.is_zero() {
        return Err(usage("--health-interval and --health-timeout must be greater than zero"));
    }
    Ok(WatchSettings {
        health_interval: args.health_interval,
        health_timeout: args.health_timeout,
        backoff,
        json: args.json,
        listen: listen_address(args.listen.as_deref())?,
    })
}

/// Parses the value of a `--listen` flag that serves the dashboard.
fn listen_address(text: Option<&str>) -> anyhow::Result<Option<SocketAddr>> {
    let Some(text) = text else { return Ok(None) };
    let addr = text
        .trim()
        .parse()
        .map_err(|_| usage(format!("invalid --listen address {text:?}: expected IP:PORT such as 127.0.0.1:9464")))?;
    Ok(Some(addr))
}

fn service_config(cli: &Cli) -> anyhow::Result<ServiceConfig> {
    let token = cli.token.as_deref().filter(|token| !token.is_empty()).map(Token::new);
    if cli.embedded {
        // The embedded service accepts every request, so the token stays in this process.
        return Ok(ServiceConfig { target: Target::Embedded, token: None });
    }
    let url = match cli.service_url.as_deref().map(str::trim).filter(|url| !url.is_empty()) {
        Some(url) if cli.allow_http => ServiceUrl::parse_allowing_http(url)?,
        Some(url) => ServiceUrl::parse(url)?,
        None => ServiceUrl::parse(chittyid::DEFAULT_SERVICE_URL)?,
    };
    Ok(ServiceConfig { target: Target::Url(url), token })
}

fn serve_config(args: &ServeArgs) -> anyhow::Result<ServeConfig> {
    let listen: SocketAddr = args.listen.trim().parse().map_err(|_| {
        usage(format!("invalid --listen address {:?}: expected IP:PORT such as 127.0.0.1:8080", args.listen))
    })?;
    let tokens: Vec<Token> =
        args.tokens.iter().map(|token| token.trim()).filter(|token| !token.is_empty()).map(Token::new).collect();
    let dashboard = args
        .dashboard
        .as_deref()
        .map(|text| {
            text.trim().parse().map_err(|_| {
                usage(format!("invalid --dashboard address {text:?}: expected IP:PORT such as 127.0.0.1:9465"))
            })
        })
        .transpose()?;
    Ok(ServeConfig { listen, data: args.data.clone(), tokens, enable_admin: args.enable_admin, dashboard })
}

fn mint_config(args: &MintArgs, service: ServiceConfig) -> anyhow::Result<CommandConfig> {
    let positional = args.entity_type.as_deref().map(parse_entity).transpose()?;
    let flag = args.entity.as_deref().map(parse_entity).transpose()?;
    let entity = match (positional, flag) {
        (Some(positional), Some(flag)) if positional != flag => {
            return Err(usage(format!("ENTITY {positional} and --entity {flag} disagree: give one of them")));
        }
        (positional, flag) => positional.or(flag),
    };

    let listen = listen_address(args.listen.as_deref())?;
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        let Some(entity) = entity else {
            return Err(usage("missing entity type: give ENTITY (such as person) or --input FILE --output FILE"));
        };
        let request =
            MintOne { entity, region: args.region, jurisdiction: args.jurisdiction.clone(), trust: args.trust };
        return Ok(CommandConfig::MintOne { service, request, json: args.json, listen });
    };

    if args.region.is_some() || args.jurisdiction.is_some() || args.trust.is_some() {
        return Err(usage("--region, --jurisdiction and --trust apply to a single mint: records carry their own"));
    }
    if args.concurrency == 0 {
        return Err(usage("invalid --concurrency 0: expected at least 1"));
    }
    if args.max_outage.is_zero() {
        return Err(usage("invalid --max-outage 0s: expected a duration such as 15m"));
    }
    if args.chaos && !matches!(service.target, Target::Embedded) {
        return Err(usage("--chaos kills the embedded service, so it needs --embedded"));
    }
    if same_file(input, output) {
        return Err(usage(format!("--output {} would overwrite the input", output.display())));
    }
    let input_format = match args.format {
        Some(FormatArg::Csv) => Format::Csv,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        None => Format::from_extension(input).unwrap_or(Format::Jsonl),
    };
    let output_format = Format::from_extension(output).unwrap_or(input_format);
    let job = BulkJob {
        input: input.clone(),
        input_format,
        output: output.clone(),
        output_format,
        default_entity: entity,
        concurrency: args.concurrency,
        max_outage: args.max_outage,
        chaos: args.chaos,
    };
    Ok(CommandConfig::MintBulk { service, job, json: args.json, listen })
}

fn parse_entity(text: &str) -> anyhow::Result<EntityType> {
    text.parse::<EntityType>().map_err(|error| usage(error.to_string()))
}

fn same_file(input: &std::path::Path, output: &std::path::Path) -> bool {
    match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        (Ok(input), Ok(output)) => input == output,
        _ => input == output,
    }
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(args: &[&str]) -> anyhow::Result<Config> {
        let mut full = vec!["chittyid", "--service-url", "http://127.0.0.1:9"];
        full.extend_from_slice(args);
        Config::from_cli(Cli::try_parse_from(full).expect("flags parse"))
    }

    #[test]
    fn remote_http_needs_allow_http() {
        // Parsing only: no command runs, so nothing is sent to the documentation address below.
        let parse = |args: &[&str]| Config::from_cli(Cli::try_parse_from(args).expect("flags parse"));
        assert!(parse(&["chittyid", "--service-url", "http://192.0.2.1", "health"]).is_err());

        let config = parse(&["chittyid", "--allow-http", "--service-url", "http://192.0.2.1", "health"]).unwrap();
        let CommandConfig::Health { service, .. } = config.command else { panic!("expected health") };
        assert!(matches!(service.target, Target::Url(url) if url.to_string() == "http://192.0.2.1"));
    }

    #[test]
    fn single_mint_needs_an_entity() {
        assert!(config(&["mint"]).is_err());
        assert!(matches!(config(&["mint", "PEO"]).unwrap().command, CommandConfig::MintOne { .. }));
    }

    #[test]
    fn conflicting_entities_are_rejected() {
        assert!(config(&["mint", "person", "--entity", "place"]).is_err());
    }

    #[test]
    fn bulk_formats_follow_the_extensions() {
        let parsed = config(&["mint", "--input", "in.csv", "--output", "out.jsonl"]).unwrap();
        let CommandConfig::MintBulk { job, .. } = parsed.command else { panic!("expected a bulk job") };
        assert_eq!(job.input_format, Format::Csv);
        assert_eq!(job.output_format, Format::Jsonl);
    }

    #[test]
    fn remote_http_url_is_rejected() {
        let cli = Cli::try_parse_from(["chittyid", "--service-url", "http://example.com", "health"]).unwrap();
        assert!(Config::from_cli(cli).is_err());
    }

    #[test]
    fn chaos_needs_the_embedded_service() {
        assert!(config(&["mint", "--input", "a", "--output", "b", "--chaos"]).is_err());
        let cli = Cli::try_parse_from(["chittyid", "--embedded", "mint", "--input", "a", "--output", "b", "--chaos"]);
        assert!(Config::from_cli(cli.unwrap()).is_ok());
    }

    #[test]
    fn listen_address_is_checked() {
        assert!(config(&["watch", "--listen", "localhost"]).is_err());
        assert!(config(&["mint", "person", "--listen", "127.0.0.1"]).is_err());
        let parsed = config(&["watch", "--listen", " 127.0.0.1:0 "]).unwrap();
        let CommandConfig::Watch { settings, .. } = parsed.command else { panic!("expected watch") };
        assert_eq!(settings.listen, Some(SocketAddr::from(([127, 0, 0, 1], 0))));
    }

    #[test]
    fn zero_concurrency_is_rejected() {
        assert!(config(&["mint", "--input", "a", "--output", "b", "--concurrency", "0"]).is_err());
    }
}
