//! Execution ids: `{fp:0}:<lowercase hyphenated uuid>`.

use crate::error::{quote, EngineError, Result};
use std::fmt;
use uuid::Uuid;

/// An execution id. Only partition 0 exists in this backend, so only `{fp:0}:` ids are accepted;
/// the uuid is kept as its 16 bytes (the storage form) and printed lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExecutionId(Uuid);

impl ExecutionId {
    pub fn from_random(bytes: [u8; 16]) -> Self {
        ExecutionId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ExecutionId(Uuid::from_bytes(bytes))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let bad =
            |why: &str| EngineError::invalid(format!("executionId {} is not valid: {why}", quote(text)));
        let rest = text.strip_prefix("{fp:").ok_or_else(|| bad("missing `{fp:` prefix"))?;
        let close = rest.find("}:").ok_or_else(|| bad("missing `}:` after the partition"))?;
        let partition: u16 = rest[..close].parse().map_err(|_| bad("partition index not in u16 range"))?;
        if partition != 0 {
            return Err(bad("only partition 0 exists in this backend (use `{fp:0}:`)"));
        }
        let uuid_text = &rest[close + 2..];
        if uuid_text.len() != 36 {
            return Err(bad("expected a hyphenated uuid"));
        }
        let uuid = Uuid::try_parse(uuid_text).map_err(|_| bad("uuid invalid"))?;
        Ok(ExecutionId(uuid))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The bare hyphenated uuid, as the lease outbox stores it.
    pub fn uuid_text(&self) -> String {
        self.0.hyphenated().to_string()
    }
}

/// A stream is addressed by execution and attempt index.
pub type StreamKey = (ExecutionId, u32);

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{fp:0}}:{}", self.0.hyphenated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_canonicalises_to_lowercase() {
        let id = ExecutionId::parse("{fp:0}:6F9619FF-8B86-D011-B42D-00CF4FC964FF").unwrap();
        assert_eq!(id.to_string(), "{fp:0}:6f9619ff-8b86-d011-b42d-00cf4fc964ff");
        assert_eq!(ExecutionId::parse(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn rejects_other_partitions_and_malformed_ids() {
        for bad in [
            "",
            "abc",
            "{fp:1}:6f9619ff-8b86-d011-b42d-00cf4fc964ff",
            "{fp:x}:1",
            "{fp:0}:not-a-uuid",
            "{fp:0}6f9619ff-8b86-d011-b42d-00cf4fc964ff",
            "{fp:0}:6f9619ff8b86d011b42d00cf4fc964ff",
        ] {
            let err = ExecutionId::parse(bad).unwrap_err();
            assert_eq!(err.code.as_str(), "invalid_input", "{bad}");
            assert!(err.message.contains("executionId"), "{}", err.message);
        }
    }

    #[test]
    fn minted_ids_are_version_4() {
        let id = ExecutionId::from_random([7; 16]);
        assert_eq!(id.0.get_version_num(), 4);
    }
}
