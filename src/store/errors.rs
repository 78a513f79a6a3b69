//! Turning SQLite failures into engine errors.
//!
//! Busy/locked (primary code 5 or 6, any extended code) is `storage_busy`, which callers may
//! retry; a full disk or quota is `storage_full`; a file that is not a database or is damaged,
//! and stored values that do not decode, are `validation/corruption`; everything else is
//! `storage/io`.

use crate::error::{EngineError, ErrorCode};
use rusqlite::ffi;

pub fn from_sqlite(err: rusqlite::Error) -> EngineError {
    match err {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => match inner.downcast::<EngineError>() {
            Ok(engine) => *engine,
            Err(other) => stored_data(other.to_string()),
        },
        // A value of the wrong type or range, or text that is not UTF-8, in a column this
        // crate wrote: the file was damaged or written by something else.
        rusqlite::Error::InvalidColumnType(column, name, ty) => {
            stored_data(format!("column {column} ({name}) holds a {ty}"))
        }
        rusqlite::Error::IntegralValueOutOfRange(column, value) => {
            stored_data(format!("column {column} holds {value}, out of range"))
        }
        rusqlite::Error::Utf8Error(column, e) => {
            stored_data(format!("column {column} holds text that is not UTF-8 ({e})"))
        }
        rusqlite::Error::SqliteFailure(failure, message) => {
            let text = message.unwrap_or_else(|| failure.to_string());
            EngineError::new(code_for(failure.extended_code), format!("SQLite: {text}"))
        }
        other => EngineError::new(ErrorCode::Io, format!("SQLite: {other}")),
    }
}

fn stored_data(detail: String) -> EngineError {
    EngineError::new(ErrorCode::Corruption, format!("stored data does not parse: {detail}"))
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
    fn stored_values_that_do_not_decode_are_corruption() {
        use rusqlite::types::Type;
        let utf8 = String::from_utf8(vec![0xff]).unwrap_err().utf8_error();
        for err in [
            rusqlite::Error::InvalidColumnType(2, "lane_id".into(), Type::Blob),
            rusqlite::Error::IntegralValueOutOfRange(1, -5),
            rusqlite::Error::Utf8Error(3, utf8),
            rusqlite::Error::FromSqlConversionFailure(0, Type::Text, "bad".into()),
        ] {
            assert_eq!(from_sqlite(err).code, ErrorCode::Corruption);
        }
    }

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
