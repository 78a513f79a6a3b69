//! Input rules shared by the operations. Every message names the option and the bad value.

use crate::error::{quote as shown, EngineError, ErrorCode, Result};

/// Longest identifier-like input (lane, namespace, kind, worker ids, capabilities, tag keys).
pub const NAME_MAX: usize = 256;
/// Longest free text (messages, reasons, tag values).
pub const TEXT_MAX: usize = 65_536;
/// Largest input payload kept for an execution, and largest result: 16 MiB.
pub const MAX_BLOB_BYTES: usize = 16 << 20;
/// Largest frame payload (docs/API.md): 64 KiB.
pub const MAX_FRAME_BYTES: usize = 65_536;

pub use crate::error::quote;

/// A short identifier-like string: 1..=max bytes, no control characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(EngineError::invalid(format!("{field} must not be empty")));
    }
    if value.len() > max {
        return Err(EngineError::invalid(format!("{field} {} is longer than {max} bytes", shown(value))));
    }
    if value.chars().any(char::is_control) {
        return Err(EngineError::invalid(format!("{field} {} contains control characters", shown(value))));
    }
    Ok(())
}

/// Free text (messages, reasons): at most `max` bytes.
pub fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(EngineError::invalid(format!("{field} {} is longer than {max} bytes", shown(value))));
    }
    Ok(())
}

/// A list or map with at most `max` entries.
pub fn count(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(EngineError::invalid(format!("{field} has {len} entries; the limit is {max}")));
    }
    Ok(())
}

pub fn int_range(field: &str, value: i64, min: i64, max: i64) -> Result<i64> {
    if value < min || value > max {
        return Err(EngineError::invalid(format!("{field} {value} is out of range {min}..={max}")));
    }
    Ok(value)
}

pub fn blob(field: &str, bytes: &[u8], max: usize) -> Result<()> {
    if bytes.len() > max {
        return Err(EngineError::new(
            ErrorCode::RetentionLimitExceeded,
            format!("{field} is {} bytes; the limit is {max}", bytes.len()),
        ));
    }
    Ok(())
}
