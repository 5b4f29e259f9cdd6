//! An async HTTP client of the ChittyID service: mint, batch mint, validate, reconcile and health.
//!
//! # Why this client checks more than the HTTP status
//!
//! The ChittyID service reports failures with status 200 (`{"success":false,"error":…}`), so the client checks
//! `success` and the presence of `chittyId` rather than the status alone. While its upstream mint is down, the
//! service still replies 200, with a provisional fallback ID (`03-0-ERR-…`). The client never hands such an ID out
//! as final: [`Client::mint`] returns it inside an [`ErrorKind::Provisional`] error, and [`Client::mint_outcome`]
//! returns it as [`MintOutcome::Provisional`]. Every returned ID is parsed locally, check value included, before a caller sees it.
//!
//! The hosted service has no idempotency of its own, so a mint retried after a lost reply can create a second ID.
//! Every mint therefore sends an `Idempotency-Key` header, fixed when the [`Mint`] value is created, which the local
//! service honours. Resending the same `Mint` resends the same key.
//!
//! Every failure is an [`Error`] that names the operation, the request URL and the kind of failure, with the cause
//! reachable through `source()`. Its classification helpers ([`Error::is_retryable`],
//! [`Error::is_connection_level`], [`Error::is_permanent`]) feed retry and connection management. Reply bodies are
//! read with a size limit, and the token never appears in `Debug` output, logs or errors.
//!
//! # Examples
//!
//! ```no_run
//! use chittyid::{ClientBuilder, Mint};
//! use chittyid::format::EntityType;
//!
//! # async fn run() -> Result<(), chittyid::client::Error> {
//! // The URL comes from CHITTYID_SERVICE_URL and the token from CHITTY_ID_TOKEN.
//! let client = ClientBuilder::from_env().build()?;
//! let id = client.mint(&Mint::new(EntityType::Person).jurisdiction("GBR").region(3)).await?;
//! println!("minted {id}");
//!
//! let verdict = client.validate(&id.to_string()).await?;
//! assert!(verdict.valid);
//! # Ok(())
//! # }
//! ```

mod api;
mod builder;
mod classify;
mod error;
mod mint;
mod outcome;
mod transport;

pub use api::Client;
pub(crate) use api::batch_key;
pub use builder::{ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use error::{EntryError, Error, ErrorKind, Operation};
pub use mint::{MAX_IDEMPOTENCY_KEY_LEN, Mint};
pub use outcome::{Health, MintOutcome, Validation};
