//! Turning SQLite failures into engine errors.
//!
//! Busy/locked (primary code 5 or 6, any extended code) is `storage_busy`, which callers may
//! retry; a full disk or quota is `storage_full`; a file that is not a database or is damaged is
//! `validation/corruption`; everything else is `storage/io`.

use crate::error::{EngineError, ErrorCode};
use rusqlite::ffi;

pub fn from_sqlite(err: rusqlite::Error) -> EngineError {
    match err {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => match inner.downcast::<EngineError>() {
            Ok(engine) => *engine,
            Err(other) => EngineError::new(ErrorCode::Io, other.to_string()),
        },
        rusqlite::Error::SqliteFailure(failure, message) => {
            let text = message.unwrap_or_else(|| failure.to_string());
            EngineError::new(code_for(failure.extended_code), format!("SQLite: {text}"))
        }
        other => EngineError::new(ErrorCode::Io, format!("SQLite: {other}")),
    }
}

fn code_for(extended: i32) -> ErrorCode {
    match extended & 0xff {
        ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => ErrorCode::StorageBusy,
        ffi::SQLITE_FULL => ErrorCode::StorageFull,
        ffi::SQLITE_CORRUPT | ffi::SQLITE_NOTADB => ErrorCode::Corruption,
        ffi::SQLITE_CANTOPEN => ErrorCode::StorageUnavailable,
        _ => ErrorCode::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_family_is_retryable_and_others_are_not() {
        for code in [5, 6, 261, 517, 773, 262, 518] {
            assert_eq!(code_for(code), ErrorCode::StorageBusy, "{code}");
        }
        assert_eq!(code_for(13), ErrorCode::StorageFull);
        assert_eq!(code_for(11), ErrorCode::Corruption);
        assert_eq!(code_for(26), ErrorCode::Corruption);
        for code in [21, 266, 2067] {
            assert_eq!(code_for(code), ErrorCode::Io, "{code}");
        }
    }
}
