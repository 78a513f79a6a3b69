//! Handle tokens: the only part of a handle the backend trusts.
//!
//! Layout (base64 of): one kind byte, then the reference's "v2" handle codec — magic 0x02,
//! version 0x01, backend tag (0x03 = SQLite), execution id, attempt index, attempt id, lease id,
//! lease epoch, lease ttl, lane, worker instance id (strings as u32-LE length + UTF-8, integers
//! little-endian). Keeping that layout makes tokens readable with the reference codec.

use crate::base64;
use crate::error::{EngineError, ErrorCode, Result};
use crate::model::{ExecutionId, HandleKind};

const MAGIC: u8 = 0x02;
const VERSION: u8 = 0x01;
const TAG_SQLITE: u8 = 0x03;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenData {
    pub kind: HandleKind,
    pub execution_id: ExecutionId,
    pub attempt_index: u32,
    pub attempt_id: String,
    pub lease_id: String,
    pub lease_epoch: u64,
    pub lease_ttl_ms: u64,
    pub lane: String,
    pub worker_instance_id: String,
}

fn kind_byte(kind: HandleKind) -> u8 {
    match kind {
        HandleKind::Fresh => 1,
        HandleKind::Reclaimed => 4,
    }
}

pub fn encode(t: &TokenData) -> String {
    let mut out = vec![kind_byte(t.kind), MAGIC, VERSION, TAG_SQLITE];
    let put_str = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    put_str(&mut out, &t.execution_id.to_string());
    out.extend_from_slice(&t.attempt_index.to_le_bytes());
    put_str(&mut out, &t.attempt_id);
    put_str(&mut out, &t.lease_id);
    out.extend_from_slice(&t.lease_epoch.to_le_bytes());
    out.extend_from_slice(&t.lease_ttl_ms.to_le_bytes());
    put_str(&mut out, &t.lane);
    put_str(&mut out, &t.worker_instance_id);
    base64::encode(&out)
}

fn damaged(why: &str) -> EngineError {
    EngineError::new(ErrorCode::Corruption, format!("handle token is damaged or forged: {why}"))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(damaged("truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn string(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| damaged("a field is not UTF-8"))
    }
}

fn backend_name(tag: u8) -> String {
    match tag {
        0x01 => "Valkey".into(),
        0x02 => "Postgres".into(),
        other => format!("unknown backend 0x{other:02x}"),
    }
}

/// Whether `text` starts like a token of any backend (its first bytes are the codec header),
/// so a string argument can be told from an execution id.
pub fn looks_like_token(text: &str) -> bool {
    text.get(..8)
        .and_then(base64::decode)
        .is_some_and(|head| matches!(head[0], 1..=4) && head[1] == MAGIC && head[2] == VERSION)
}

pub fn decode(token: &str) -> Result<TokenData> {
    let bytes = base64::decode(token).ok_or_else(|| damaged("not base64"))?;
    let mut r = Reader { bytes: &bytes };
    let kind = match r.take(1)?[0] {
        1 => HandleKind::Fresh,
        4 => HandleKind::Reclaimed,
        other => return Err(damaged(&format!("unknown handle kind byte {other}"))),
    };
    let header = r.take(3)?;
    if header[0] != MAGIC || header[1] != VERSION {
        return Err(damaged("unknown codec version"));
    }
    if header[2] != TAG_SQLITE {
        return Err(EngineError::new(
            ErrorCode::HandleFromOtherBackend,
            format!("handle belongs to another backend: expected=Sqlite actual={}", backend_name(header[2])),
        ));
    }
    let id_text = r.string()?;
    let execution_id = ExecutionId::parse(&id_text).map_err(|_| damaged("bad execution id"))?;
    // Only the form this backend writes: a token that decodes is one it could have minted.
    if execution_id.to_string() != id_text {
        return Err(damaged("execution id not in canonical form"));
    }
    let data = TokenData {
        kind,
        execution_id,
        attempt_index: r.u32()?,
        attempt_id: r.string()?,
        lease_id: r.string()?,
        lease_epoch: r.u64()?,
        lease_ttl_ms: r.u64()?,
        lane: r.string()?,
        worker_instance_id: r.string()?,
    };
    if !r.bytes.is_empty() {
        return Err(damaged("trailing bytes"));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenData {
        TokenData {
            kind: HandleKind::Reclaimed,
            execution_id: ExecutionId::from_random([3; 16]),
            attempt_index: 2,
            attempt_id: "a".into(),
            lease_id: "l".into(),
            lease_epoch: 7,
            lease_ttl_ms: 30_000,
            lane: "default".into(),
            worker_instance_id: "w-1".into(),
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        assert_eq!(decode(&encode(&sample())).unwrap(), sample());
    }

    #[test]
    fn rejects_other_backends_by_tag() {
        let mut bytes = base64::decode(&encode(&sample())).unwrap();
        bytes[3] = 0x01;
        let err = decode(&base64::encode(&bytes)).unwrap_err();
        assert_eq!(err.code, ErrorCode::HandleFromOtherBackend);
        assert!(err.message.contains("Valkey"));
    }

    #[test]
    fn tokens_are_told_from_execution_ids() {
        assert!(looks_like_token(&encode(&sample())));
        assert!(!looks_like_token(&sample().execution_id.to_string()));
        assert!(!looks_like_token("abc"));
        assert!(!looks_like_token("AAAAAAAAAAAA"));
    }

    /// `sample()`'s token with its execution id field holding `text`.
    fn with_id_text(text: &str) -> String {
        let bytes = base64::decode(&encode(&sample())).unwrap();
        let len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let mut out = bytes[..4].to_vec();
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&bytes[8 + len..]);
        base64::encode(&out)
    }

    #[test]
    fn only_the_canonical_spelling_of_an_execution_id_decodes() {
        let id = sample().execution_id.to_string();
        assert_eq!(decode(&with_id_text(&id)).unwrap(), sample());
        // A uuid with letters, so that upper case spells it differently.
        let id = ExecutionId::from_random([0xab; 16]).to_string();
        assert!(decode(&with_id_text(&id)).is_ok());
        let uuid = &id["{fp:0}:".len()..];
        for other in [format!("{{fp:00}}:{uuid}"), format!("{{fp:0}}:{}", uuid.to_uppercase())] {
            let err = decode(&with_id_text(&other)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Corruption, "{other}");
        }
    }

    #[test]
    fn truncated_or_padded_tokens_are_corruption() {
        let bytes = base64::decode(&encode(&sample())).unwrap();
        for cut in 0..bytes.len() {
            let err = decode(&base64::encode(&bytes[..cut])).unwrap_err();
            assert_eq!(err.code, ErrorCode::Corruption, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&base64::encode(&longer)).unwrap_err().code, ErrorCode::Corruption);
        assert_eq!(decode("not a token").unwrap_err().code, ErrorCode::Corruption);
    }
}
