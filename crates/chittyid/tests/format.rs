//! The ChittyID format against the published test vectors, and property tests over generated IDs.

use chittyid::format::{ChittyId, EntityType, FallbackReason, Field, IdParts};
use proptest::prelude::*;

#[test]
fn live_id_is_valid() {
    let id: ChittyId = "03-1-USA-4448-P-2609-0-88".parse().unwrap();
    assert_eq!(id.version(), 3);
    assert_eq!(id.region(), 1);
    assert_eq!(id.jurisdiction(), "USA");
    assert_eq!(id.sequence(), 4448);
    assert_eq!(id.entity_type(), EntityType::Person);
    assert_eq!((id.year(), id.month()), (26, 9));
    assert_eq!(id.trust(), 0);
    assert_eq!(id.check_value(), 88);
    assert!(!id.is_fallback());
}

#[test]
fn debug_shows_the_id_text() {
    let id: ChittyId = "03-1-USA-4448-P-2609-0-88".parse().unwrap();
    assert_eq!(format!("{id:?}"), "ChittyId(\"03-1-USA-4448-P-2609-0-88\")");
}

#[test]
fn fallback_id_is_valid_and_provisional() {
    let id: ChittyId = "03-0-ERR-0001-P-2609-0-24".parse().unwrap();
    assert!(id.is_fallback());
    assert_eq!(id.fallback_reason(), Some(FallbackReason::MintUnavailable));
}

#[test]
fn wrong_check_value_names_the_expected_one() {
    let error = "03-1-USA-1234-P-2601-3-42".parse::<ChittyId>().unwrap_err();
    assert_eq!(error.field(), Field::CheckValue);
    assert!(error.reason().contains("expected 86"), "{error}");

    let error = "01-1-USA-0001-P-2509-0-82".parse::<ChittyId>().unwrap_err();
    assert_eq!(error.field(), Field::CheckValue);
    assert!(error.reason().contains("expected 29"), "{error}");
}

#[test]
fn three_digit_year_month_is_rejected() {
    let error = "03-1-USA-0001-P-251-3-15".parse::<ChittyId>().unwrap_err();
    assert_eq!(error.field(), Field::YearMonth);
}

#[test]
fn abandoned_layout_is_rejected() {
    let error = "CP-A-001-1234-P-2509-I-82".parse::<ChittyId>().unwrap_err();
    assert_eq!(error.field(), Field::Version);
}

#[test]
fn malformed_inputs_name_their_field() {
    let cases = [
        ("", Field::Layout),
        ("03-1-USA-4448-P-2609-0", Field::Layout),
        ("03-1-USA-4448-P-2609-0-88-1", Field::Layout),
        ("03-1-usa-4448-P-2609-0-88", Field::Jurisdiction),
        ("03-1-US-4448-P-2609-0-88", Field::Jurisdiction),
        ("03-1-USA-448-P-2609-0-88", Field::Sequence),
        ("03-1-USA-4448-X-2609-0-88", Field::EntityType),
        ("03-1-USA-4448-P-2613-0-88", Field::YearMonth),
        ("03-1-USA-4448-P-2609-6-88", Field::Trust),
        ("03-0-USA-4448-P-2609-0-88", Field::Region),
        ("03-1-ERR-4448-P-2609-0-88", Field::Region),
        ("03-1-USA-4448-P-2609-0-8", Field::CheckValue),
        ("03-1-ÜSA-4448-P-2609-0-88", Field::Jurisdiction),
        ("０3-1-USA-4448-P-2609-0-88", Field::Version),
    ];
    for (input, field) in cases {
        let error = input.parse::<ChittyId>().unwrap_err();
        assert_eq!(error.field(), field, "input {input:?}: {error}");
    }
}

#[test]
fn built_id_matches_the_live_one() {
    let parts = IdParts {
        version: 3,
        region: 1,
        jurisdiction: "USA",
        sequence: 4448,
        entity: EntityType::Person,
        year: 26,
        month: 9,
        trust: 0,
    };
    assert_eq!(ChittyId::new(parts).unwrap().to_string(), "03-1-USA-4448-P-2609-0-88");
}

#[test]
fn built_fallback_matches_the_vector() {
    let id = ChittyId::fallback(FallbackReason::MintUnavailable, EntityType::Person, 26, 9).unwrap();
    assert_eq!(id.to_string(), "03-0-ERR-0001-P-2609-0-24");
}

#[test]
fn serde_round_trips_as_a_string() {
    let id: ChittyId = "03-1-USA-4448-P-2609-0-88".parse().unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"03-1-USA-4448-P-2609-0-88\"");
    assert_eq!(serde_json::from_str::<ChittyId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<ChittyId>("\"03-1-USA-1234-P-2601-3-42\"").is_err());
}

fn any_id() -> impl Strategy<Value = ChittyId> {
    (
        0u8..=99,
        1u8..=9,
        "[A-Z]{3}".prop_filter("ERR is for fallback IDs", |code| code != "ERR"),
        0u16..=9999,
        prop::sample::select(EntityType::ALL.to_vec()),
        0u8..=99,
        1u8..=12,
        0u8..=5,
    )
        .prop_map(|(version, region, jurisdiction, sequence, entity, year, month, trust)| {
            ChittyId::new(IdParts {
                version,
                region,
                jurisdiction: &jurisdiction,
                sequence,
                entity,
                year,
                month,
                trust,
            })
            .unwrap()
        })
}

/// Returns the characters allowed at `position` of the layout by the pattern.
fn alphabet_at(position: usize) -> &'static str {
    const DIGITS: &str = "0123456789";
    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match position {
        5..=7 => LETTERS,
        14 => "PLTEA",
        21 => "012345",
        _ => DIGITS,
    }
}

/// Replaces the character at `position` with another that keeps the pattern; `None` for a hyphen or no change.
fn substitute(id: &ChittyId, position: usize, pick: usize) -> Option<String> {
    let mut bytes = id.to_string().into_bytes();
    let alphabet = alphabet_at(position).as_bytes();
    let replacement = alphabet[pick % alphabet.len()];
    if bytes[position] == b'-' || bytes[position] == replacement {
        return None;
    }
    bytes[position] = replacement;
    String::from_utf8(bytes).ok()
}

proptest! {
    #[test]
    fn any_valid_id_round_trips(id in any_id()) {
        let text = id.to_string();
        prop_assert_eq!(text.len(), 25);
        prop_assert_eq!(text.parse::<ChittyId>().unwrap(), id);
    }

    #[test]
    fn single_substitution_is_rejected(id in any_id(), position in 0usize..25, pick in 0usize..26) {
        let changed = substitute(&id, position, pick);
        prop_assume!(changed.is_some());
        let changed = changed.unwrap();
        prop_assert!(changed.parse::<ChittyId>().is_err(), "{} was accepted", changed);
    }

    #[test]
    fn valid_substitution_fails_check_value(
        id in any_id(), position in 0usize..23, pick in 0usize..26,
    ) {
        let changed = substitute(&id, position, pick);
        prop_assume!(changed.is_some());
        let changed = changed.unwrap();
        let error = changed.parse::<ChittyId>().unwrap_err();
        // Changes that break another rule (region 0 or ERR outside a fallback ID, month 13) fail on that field.
        if !matches!(error.field(), Field::Region | Field::YearMonth) {
            prop_assert_eq!(error.field(), Field::CheckValue, "{}", error);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(input in ".{0,40}") {
        let _ = input.parse::<ChittyId>();
    }
}
