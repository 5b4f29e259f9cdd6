//! Entity types: the five letters of the current format and the legacy codes older clients send.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::EntityTypeError;

/// The kind of thing a ChittyID names: the `T` field of the ID.
///
/// Serialises as the word the service expects in `entityType` (`"person"`). Parsing with [`FromStr`] accepts the
/// word, the letter or a legacy code, in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityType {
    /// A person or organisation (`P`).
    Person,
    /// A location (`L`).
    Place,
    /// A thing, asset, document or claim (`T`).
    Thing,
    /// An event or transaction (`E`).
    Event,
    /// A credential or permission (`A`).
    Authority,
}

/// The legacy codes of older clients with the entity type each maps to.
///
/// The live service rejects these codes, so a client maps them before sending.
pub const LEGACY_CODES: [(&str, EntityType); 9] = [
    ("PEO", EntityType::Person),
    ("PLACE", EntityType::Place),
    ("PROP", EntityType::Thing),
    ("EVNT", EntityType::Event),
    ("AUTH", EntityType::Authority),
    ("INFO", EntityType::Thing),
    ("FACT", EntityType::Thing),
    ("CONTEXT", EntityType::Person),
    ("ACTOR", EntityType::Person),
];

impl EntityType {
    /// Every entity type, in the order of the format's documentation.
    pub const ALL: [EntityType; 5] =
        [EntityType::Person, EntityType::Place, EntityType::Thing, EntityType::Event, EntityType::Authority];

    /// Returns the letter used in the ID (`'P'`).
    pub const fn letter(self) -> char {
        match self {
            EntityType::Person => 'P',
            EntityType::Place => 'L',
            EntityType::Thing => 'T',
            EntityType::Event => 'E',
            EntityType::Authority => 'A',
        }
    }

    /// Returns the word sent to the service in `entityType` (`"person"`).
    pub const fn word(self) -> &'static str {
        match self {
            EntityType::Person => "person",
            EntityType::Place => "place",
            EntityType::Thing => "thing",
            EntityType::Event => "event",
            EntityType::Authority => "authority",
        }
    }

    /// Looks up the entity type of an upper-case ID letter.
    pub const fn from_letter(letter: char) -> Option<EntityType> {
        match letter {
            'P' => Some(EntityType::Person),
            'L' => Some(EntityType::Place),
            'T' => Some(EntityType::Thing),
            'E' => Some(EntityType::Event),
            'A' => Some(EntityType::Authority),
            _ => None,
        }
    }

    /// Looks up a legacy code such as `PEO` or `INFO`, in any case.
    pub fn from_legacy_code(code: &str) -> Option<EntityType> {
        LEGACY_CODES.iter().find(|(name, _)| name.eq_ignore_ascii_case(code)).map(|&(_, entity)| entity)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl FromStr for EntityType {
    type Err = EntityTypeError;

    /// Parses a word (`person`), a letter (`P`) or a legacy code (`PEO`), ignoring case and surrounding spaces.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        let by_word = EntityType::ALL.into_iter().find(|entity| entity.word().eq_ignore_ascii_case(trimmed));
        let by_letter = match trimmed.as_bytes() {
            [byte] => EntityType::from_letter(char::from(byte.to_ascii_uppercase())),
            _ => None,
        };
        by_word
            .or(by_letter)
            .or_else(|| EntityType::from_legacy_code(trimmed))
            .ok_or_else(|| EntityTypeError { input: input.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_letters_and_codes_parse() {
        assert_eq!("person".parse::<EntityType>().unwrap(), EntityType::Person);
        assert_eq!("Place".parse::<EntityType>().unwrap(), EntityType::Place);
        assert_eq!("t".parse::<EntityType>().unwrap(), EntityType::Thing);
        assert_eq!("EVNT".parse::<EntityType>().unwrap(), EntityType::Event);
        assert_eq!(" auth ".parse::<EntityType>().unwrap(), EntityType::Authority);
    }

    #[test]
    fn legacy_codes_map_as_documented() {
        let expected = [
            ("PEO", 'P'),
            ("PLACE", 'L'),
            ("PROP", 'T'),
            ("EVNT", 'E'),
            ("AUTH", 'A'),
            ("INFO", 'T'),
            ("FACT", 'T'),
            ("CONTEXT", 'P'),
            ("ACTOR", 'P'),
        ];
        for (code, letter) in expected {
            assert_eq!(EntityType::from_legacy_code(code).map(EntityType::letter), Some(letter), "code {code}");
        }
    }

    #[test]
    fn unknown_type_is_rejected() {
        let error = "vehicle".parse::<EntityType>().unwrap_err();
        assert!(error.to_string().contains("vehicle"), "{error}");
    }

    #[test]
    fn serde_uses_the_word() {
        assert_eq!(serde_json::to_string(&EntityType::Authority).unwrap(), "\"authority\"");
    }
}
