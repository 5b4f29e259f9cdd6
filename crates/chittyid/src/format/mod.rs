//! The ChittyID format: parsing, validation, check values, entity types and fallback IDs, with no I/O.
//!
//! A ChittyID has eight hyphen-separated fields, `VV-G-LLL-SSSS-T-YYMM-C-XX`: version, region, jurisdiction
//! (ISO 3166-1 alpha-3), sequence, entity type, year and month, trust level and a two-digit check value.
//! Parsing checks every field and the check value, so a typo in any single character is caught offline.
//!
//! Fallback IDs (`03-0-ERR-<code>-…`) are what the service issues while its upstream mint is down. They are
//! well-formed but provisional: a client must not hand one out as a final ID.
//!
//! ```
//! use chittyid::format::{ChittyId, EntityType, FallbackReason};
//!
//! let id: ChittyId = "03-0-ERR-0001-P-2609-0-24".parse()?;
//! assert!(id.is_fallback());
//! assert_eq!(id.fallback_reason(), Some(FallbackReason::MintUnavailable));
//! assert_eq!("PEO".parse::<EntityType>()?, EntityType::Person);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod components;
mod entity;
mod error;
mod fallback;
mod id;

pub use check::check_value;
pub use components::Components;
pub use entity::{EntityType, LEGACY_CODES};
pub use error::{ComponentError, EntityTypeError, Field, ParseError};
pub use fallback::FallbackReason;
pub use id::{CURRENT_VERSION, ChittyId, FALLBACK_JURISDICTION, IdParts, MAX_SEQUENCE, MAX_TRUST};

/// The layout of a ChittyID, as the service's reports name it.
pub const FORMAT: &str = "VV-G-LLL-SSSS-T-YYMM-C-XX";
