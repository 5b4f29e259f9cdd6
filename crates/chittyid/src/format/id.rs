//! The [`ChittyId`] type: parsing, validation, rendering and building.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::check::check_value;
use super::entity::EntityType;
use super::error::{ComponentError, Field, ParseError};
use super::fallback::FallbackReason;

/// The format version that current services issue.
pub const CURRENT_VERSION: u8 = 3;

/// The jurisdiction code that marks a fallback ID.
pub const FALLBACK_JURISDICTION: &str = "ERR";

/// The highest sequence number the four-digit field can hold.
pub const MAX_SEQUENCE: u16 = 9_999;

/// The highest trust level (5, official).
pub const MAX_TRUST: u8 = 5;

/// A validated ChittyID such as `03-1-USA-4448-P-2609-0-88`.
///
/// A value of this type always has a correct check value and renders back to the string it was parsed from.
/// Fallback IDs (`03-0-ERR-0001-P-2609-0-24`) are valid IDs too, but provisional: see [`ChittyId::is_fallback`].
///
/// # Examples
///
/// ```
/// use chittyid::format::{ChittyId, EntityType};
///
/// let id: ChittyId = "03-1-USA-4448-P-2609-0-88".parse()?;
/// assert_eq!(id.entity_type(), EntityType::Person);
/// assert_eq!(id.jurisdiction(), "USA");
/// assert_eq!(id.sequence(), 4448);
/// assert!(!id.is_fallback());
/// assert_eq!(id.to_string(), "03-1-USA-4448-P-2609-0-88");
///
/// let error = "03-1-USA-1234-P-2601-3-42".parse::<ChittyId>().unwrap_err();
/// assert!(error.to_string().contains("expected 86"));
/// # Ok::<(), chittyid::format::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChittyId {
    version: u8,
    region: u8,
    jurisdiction: [u8; 3],
    sequence: u16,
    entity: EntityType,
    year: u8,
    month: u8,
    trust: u8,
    check: u8,
}

/// The fields of an ID before its check value is computed; the input of [`ChittyId::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdParts<'a> {
    /// Format version, 0–99. Usually [`CURRENT_VERSION`].
    pub version: u8,
    /// Region, 1–9 (0 only with jurisdiction `ERR`).
    pub region: u8,
    /// ISO 3166-1 alpha-3 code in upper case, or `ERR` with region 0.
    pub jurisdiction: &'a str,
    /// Sequence number, 0–9999.
    pub sequence: u16,
    /// Entity type.
    pub entity: EntityType,
    /// Year of minting, two digits (26 for 2026).
    pub year: u8,
    /// Month of minting, 1–12.
    pub month: u8,
    /// Trust level, 0–5.
    pub trust: u8,
}

impl ChittyId {
    /// Builds an ID from its parts and computes its check value.
    ///
    /// # Errors
    ///
    /// Returns [`ComponentError`] naming the first part out of range.
    pub fn new(parts: IdParts<'_>) -> Result<ChittyId, ComponentError> {
        let fail = |field, reason: &str| ComponentError { field, reason: reason.to_owned() };
        if parts.version > 99 {
            return Err(fail(Field::Version, "must be at most 99"));
        }
        if parts.region > 9 {
            return Err(fail(Field::Region, "must be a single digit"));
        }
        let jurisdiction: [u8; 3] = parts
            .jurisdiction
            .as_bytes()
            .try_into()
            .ok()
            .filter(|code: &[u8; 3]| code.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| fail(Field::Jurisdiction, "must be three upper-case letters"))?;
        if (parts.region == 0) != (parts.jurisdiction == FALLBACK_JURISDICTION) {
            return Err(fail(Field::Region, "region 0 goes with jurisdiction ERR, and only in fallback IDs"));
        }
        if parts.sequence > MAX_SEQUENCE {
            return Err(fail(Field::Sequence, "must be at most 9999"));
        }
        if parts.year > 99 || !(1..=12).contains(&parts.month) {
            return Err(fail(Field::YearMonth, "year must be 0-99 and month 1-12"));
        }
        if parts.trust > MAX_TRUST {
            return Err(fail(Field::Trust, "must be 0-5"));
        }
        let mut id = ChittyId {
            version: parts.version,
            region: parts.region,
            jurisdiction,
            sequence: parts.sequence,
            entity: parts.entity,
            year: parts.year,
            month: parts.month,
            trust: parts.trust,
            check: 0,
        };
        id.check = id.expected_check();
        Ok(id)
    }

    /// Builds the fallback ID a service issues for `reason` (`03-0-ERR-<code>-<T>-<YYMM>-0-<XX>`).
    pub fn fallback(
        reason: FallbackReason,
        entity: EntityType,
        year: u8,
        month: u8,
    ) -> Result<ChittyId, ComponentError> {
        ChittyId::new(IdParts {
            version: CURRENT_VERSION,
            region: 0,
            jurisdiction: FALLBACK_JURISDICTION,
            sequence: reason.code().min(MAX_SEQUENCE),
            entity,
            year,
            month,
            trust: 0,
        })
    }

    /// Parses and validates an ID: the layout, every field, and the check value.
    ///
    /// # Errors
    ///
    /// Returns [`ParseError`] naming the first wrong field and why it is wrong.
    pub fn parse(input: &str) -> Result<ChittyId, ParseError> {
        let fields: Vec<&str> = input.split('-').collect();
        if fields.len() != 8 {
            let reason =
                format!("expected 8 hyphen-separated fields (VV-G-LLL-SSSS-T-YYMM-C-XX), found {}", fields.len());
            return Err(ParseError::new(input, Field::Layout, reason));
        }
        let digits = |index: usize, field: Field, width: usize| -> Result<u16, ParseError> {
            let text = fields[index];
            if text.len() != width || !text.bytes().all(|byte| byte.is_ascii_digit()) {
                let reason = format!("expected {width} digit(s), found {text:?}");
                return Err(ParseError::new(input, field, reason));
            }
            text.parse().map_err(|_| ParseError::new(input, field, "not a number"))
        };
        let version = digits(0, Field::Version, 2)? as u8;
        let region = digits(1, Field::Region, 1)? as u8;
        let jurisdiction: [u8; 3] = fields[2]
            .as_bytes()
            .try_into()
            .ok()
            .filter(|code: &[u8; 3]| code.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                let reason = format!("expected 3 upper-case letters, found {:?}", fields[2]);
                ParseError::new(input, Field::Jurisdiction, reason)
            })?;
        let sequence = digits(3, Field::Sequence, 4)?;
        let entity = match fields[4].as_bytes() {
            [letter] => EntityType::from_letter(char::from(*letter)),
            _ => None,
        }
        .ok_or_else(|| {
            let reason = format!("expected one of P, L, T, E, A, found {:?}", fields[4]);
            ParseError::new(input, Field::EntityType, reason)
        })?;
        let year_month = digits(5, Field::YearMonth, 4)?;
        let (year, month) = ((year_month / 100) as u8, (year_month % 100) as u8);
        if !(1..=12).contains(&month) {
            return Err(ParseError::new(input, Field::YearMonth, format!("month {month:02} is not 01-12")));
        }
        let trust = digits(6, Field::Trust, 1)? as u8;
        if trust > MAX_TRUST {
            return Err(ParseError::new(input, Field::Trust, format!("expected 0-5, found {trust}")));
        }
        let check = digits(7, Field::CheckValue, 2)? as u8;
        let is_error_jurisdiction = jurisdiction == FALLBACK_JURISDICTION.as_bytes();
        if (region == 0) != is_error_jurisdiction {
            let reason = "region 0 and jurisdiction ERR appear together, and only in fallback IDs";
            return Err(ParseError::new(input, Field::Region, reason));
        }
        let id = ChittyId { version, region, jurisdiction, sequence, entity, year, month, trust, check };
        let expected = id.expected_check();
        if expected != check {
            let reason = format!("found {check:02}, expected {expected:02}");
            return Err(ParseError::new(input, Field::CheckValue, reason));
        }
        Ok(id)
    }

    fn expected_check(&self) -> u8 {
        let body = format!(
            "{:02}{}{}{:04}{}{:02}{:02}{}",
            self.version,
            self.region,
            self.jurisdiction(),
            self.sequence,
            self.entity.letter(),
            self.year,
            self.month,
            self.trust
        );
        // Every character of `body` is a digit or an upper-case letter by construction.
        check_value(&body).unwrap_or(u8::MAX)
    }

    /// Returns the format version (`3` for `03`).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Returns the region digit (1–9, or 0 in fallback IDs).
    pub fn region(&self) -> u8 {
        self.region
    }

    /// Returns the jurisdiction code (`USA`, or `ERR` in fallback IDs).
    pub fn jurisdiction(&self) -> &str {
        std::str::from_utf8(&self.jurisdiction).unwrap_or(FALLBACK_JURISDICTION)
    }

    /// Returns the sequence number (the error code in fallback IDs).
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// Returns the entity type.
    pub fn entity_type(&self) -> EntityType {
        self.entity
    }

    /// Returns the two-digit year of minting (26 for 2026).
    pub fn year(&self) -> u8 {
        self.year
    }

    /// Returns the month of minting, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Returns the trust level, 0–5.
    pub fn trust(&self) -> u8 {
        self.trust
    }

    /// Returns the check value.
    pub fn check_value(&self) -> u8 {
        self.check
    }

    /// Tells whether this is a provisional fallback ID (`03-0-ERR-…`) that the service must replace later.
    pub fn is_fallback(&self) -> bool {
        self.region == 0
    }

    /// Returns why the service issued this fallback ID, or `None` for a normal ID.
    pub fn fallback_reason(&self) -> Option<FallbackReason> {
        self.is_fallback().then(|| FallbackReason::from_code(self.sequence))
    }
}

impl fmt::Display for ChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}-{}-{}-{:04}-{}-{:02}{:02}-{}-{:02}",
            self.version,
            self.region,
            self.jurisdiction(),
            self.sequence,
            self.entity.letter(),
            self.year,
            self.month,
            self.trust,
            self.check
        )
    }
}

impl fmt::Debug for ChittyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChittyId(\"{self}\")")
    }
}

impl FromStr for ChittyId {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        ChittyId::parse(input)
    }
}

impl Serialize for ChittyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChittyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ChittyId::parse(&text).map_err(serde::de::Error::custom)
    }
}
