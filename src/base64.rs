//! Standard base64 (RFC 4648 §4, with padding) for binary frame payloads and handle tokens,
//! from the `base64` crate. Decoding is strict: canonical padding, no stray bits, no whitespace.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `None` on anything that is not canonical standard base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_round_trip() {
        for (plain, coded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in ["Zg", "Zg=", "Z===", "Zm9v!A==", "Zh==", "Zg==Zg==", " Zg=="] {
            assert!(decode(bad).is_none(), "{bad}");
        }
    }
}
