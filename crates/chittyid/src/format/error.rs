//! Errors of parsing and building ChittyIDs.

use std::fmt;

/// A field of the `VV-G-LLL-SSSS-T-YYMM-C-XX` layout, named in parse errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The whole ID: its length or its hyphens.
    Layout,
    /// `VV`, the format version.
    Version,
    /// `G`, the region.
    Region,
    /// `LLL`, the jurisdiction.
    Jurisdiction,
    /// `SSSS`, the sequence number (the error code in fallback IDs).
    Sequence,
    /// `T`, the entity type.
    EntityType,
    /// `YYMM`, the year and month of minting.
    YearMonth,
    /// `C`, the trust level.
    Trust,
    /// `XX`, the check value.
    CheckValue,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Layout => "layout",
            Field::Version => "version (VV)",
            Field::Region => "region (G)",
            Field::Jurisdiction => "jurisdiction (LLL)",
            Field::Sequence => "sequence (SSSS)",
            Field::EntityType => "entity type (T)",
            Field::YearMonth => "year and month (YYMM)",
            Field::Trust => "trust level (C)",
            Field::CheckValue => "check value (XX)",
        })
    }
}

/// An ID that does not follow the ChittyID format; says which field is wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ChittyID {input:?}: {field}: {reason}")]
pub struct ParseError {
    input: String,
    field: Field,
    reason: String,
}

impl ParseError {
    pub(crate) fn new(input: &str, field: Field, reason: impl Into<String>) -> ParseError {
        // Bound the echoed input, so that a huge string passed by a caller is not copied into every error.
        let input: String = input.chars().take(64).collect();
        ParseError { input, field, reason: reason.into() }
    }

    /// Returns the field that is wrong.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Returns why the field is wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A string that names no entity type: not a word, a letter or a legacy code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid entity type {input:?}: expected person, place, thing, event or authority, a letter P/L/T/E/A, or a legacy code"
)]
pub struct EntityTypeError {
    pub(crate) input: String,
}

/// A component out of range when building an ID with [`ChittyId::new`](super::ChittyId::new).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct ComponentError {
    pub(crate) field: Field,
    pub(crate) reason: String,
}

impl ComponentError {
    /// Returns the field that is out of range.
    pub fn field(&self) -> Field {
        self.field
    }
}
