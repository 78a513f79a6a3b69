//! Input rules shared by the operations. Every message names the option and the bad value.

use crate::error::{EngineError, ErrorCode, Result};

/// Largest input payload kept for an execution, and largest result: 16 MiB.
pub const MAX_BLOB_BYTES: usize = 16 << 20;
/// Largest frame payload (API.md): 64 KiB.
pub const MAX_FRAME_BYTES: usize = 65_536;

fn shown(value: &str) -> String {
    if value.len() <= 80 {
        format!("{value:?}")
    } else {
        let mut end = 80;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}… ({} bytes)", &value[..end], value.len())
    }
}

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
