//! The check value of a ChittyID.
//!
//! The service's documentation calls this ISO 7064 MOD 97-10, but the live service computes something else: digits
//! shift the remainder by one decimal place and letters (`A` = 10 … `Z` = 35) by two. Only this rule accepts the IDs
//! the live service issues, for example `03-1-USA-4448-P-2609-0-88` (ISO 7064 would give 68).

/// Computes the two-digit check value of the concatenated first seven fields (`031USA4448P26090`).
///
/// Returns `None` when `body` holds a character that is neither an ASCII digit nor an upper-case ASCII letter.
///
/// # Examples
///
/// ```
/// assert_eq!(chittyid::format::check_value("031USA4448P26090"), Some(88));
/// assert_eq!(chittyid::format::check_value("03-1"), None);
/// ```
pub fn check_value(body: &str) -> Option<u8> {
    let mut remainder: u32 = 0;
    for byte in body.bytes() {
        remainder = match byte {
            b'0'..=b'9' => (remainder * 10 + u32::from(byte - b'0')) % 97,
            b'A'..=b'Z' => (remainder * 100 + 10 + u32::from(byte - b'A')) % 97,
            _ => return None,
        };
    }
    // The remainder is below 97, so the result fits in two digits.
    Some(((98 - remainder) % 97) as u8)
}

#[cfg(test)]
mod tests {
    use super::check_value;

    #[test]
    fn live_id_checks() {
        assert_eq!(check_value("031USA4448P26090"), Some(88));
    }

    #[test]
    fn fallback_id_checks() {
        assert_eq!(check_value("030ERR0001P26090"), Some(24));
    }

    #[test]
    fn known_wrong_check_values() {
        assert_eq!(check_value("031USA1234P26013"), Some(86));
        assert_eq!(check_value("011USA0001P25090"), Some(29));
    }

    #[test]
    fn lower_case_and_punctuation_are_rejected() {
        assert_eq!(check_value("031usa"), None);
        assert_eq!(check_value("03-1"), None);
    }
}
