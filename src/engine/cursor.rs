//! Stream cursors: `"start"`, `"end"`, `"<ms>"` and `"<ms>-<seq>"`.

use crate::error::{quote, EngineError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Start,
    End,
    /// A concrete id; `seq` is `None` for the bare `"<ms>"` form.
    At {
        ms: i64,
        seq: Option<i64>,
    },
}

impl Cursor {
    /// Parses a cursor; `field` names the option in the error message.
    pub fn parse(text: &str, field: &str) -> Result<Cursor> {
        let bad = |why: &str| {
            EngineError::invalid(format!("{field} {} is not a stream cursor: {why}", quote(text)))
        };
        match text {
            "start" => return Ok(Cursor::Start),
            "end" => return Ok(Cursor::End),
            _ => {}
        }
        let (ms, seq) = match text.split_once('-') {
            Some((ms, seq)) => (ms, Some(seq)),
            None => (text, None),
        };
        let number = |part: &str, what: &str| -> Result<i64> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(&format!(
                    "expected \"start\", \"end\", \"<ms>\" or \"<ms>-<seq>\" ({what} is not digits)"
                )));
            }
            part.parse::<i64>().map_err(|_| bad(&format!("{what} is too large")))
        };
        Ok(Cursor::At { ms: number(ms, "ms")?, seq: seq.map(|s| number(s, "seq")).transpose()? })
    }

    /// The smallest id this cursor admits as an inclusive lower bound.
    pub fn lower(self) -> (i64, i64) {
        match self {
            Cursor::Start => (i64::MIN, i64::MIN),
            Cursor::End => (i64::MAX, i64::MAX),
            Cursor::At { ms, seq } => (ms, seq.unwrap_or(0)),
        }
    }

    /// The largest id this cursor admits as an inclusive upper bound: a bare `"<ms>"` covers
    /// the whole millisecond.
    pub fn upper(self) -> (i64, i64) {
        match self {
            Cursor::Start => (i64::MIN, i64::MIN),
            Cursor::End => (i64::MAX, i64::MAX),
            Cursor::At { ms, seq } => (ms, seq.unwrap_or(i64::MAX)),
        }
    }

    /// For tails: the id after which frames are returned. `start`/`end` are refused there.
    pub fn concrete(self, field: &str, text: &str) -> Result<(i64, i64)> {
        match self {
            Cursor::At { ms, seq } => Ok((ms, seq.unwrap_or(0))),
            _ => Err(EngineError::invalid(format!(
                "{field} {}: tails need a concrete cursor (\"<ms>-<seq>\", e.g. \"0-0\"), not start/end",
                quote(text)
            ))),
        }
    }
}

/// Checks a `limit` option: 1..=10000.
pub fn check_limit(limit: i64) -> Result<i64> {
    if (1..=10_000).contains(&limit) {
        Ok(limit)
    } else {
        Err(EngineError::invalid(format!("limit {limit} is out of range 1..=10000")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert_eq!(Cursor::parse("start", "from").unwrap(), Cursor::Start);
        assert_eq!(Cursor::parse("end", "to").unwrap(), Cursor::End);
        assert_eq!(Cursor::parse("5", "x").unwrap(), Cursor::At { ms: 5, seq: None });
        assert_eq!(
            Cursor::parse("1713100800150-3", "x").unwrap(),
            Cursor::At { ms: 1713100800150, seq: Some(3) }
        );
        for bad in ["", "-", "+", "5-", "-5", "a-1", "1-b", "1-2-3", " 1", "99999999999999999999", "START"] {
            let err = Cursor::parse(bad, "after").unwrap_err();
            assert!(err.message.starts_with("after"), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn bare_ms_is_seq_zero_below_and_the_whole_millisecond_above() {
        let c = Cursor::parse("5", "x").unwrap();
        assert_eq!(c.lower(), (5, 0));
        assert_eq!(c.upper(), (5, i64::MAX));
        assert_eq!(c.concrete("after", "5").unwrap(), (5, 0));
        assert!(Cursor::Start.concrete("after", "start").is_err());
    }

    #[test]
    fn limits() {
        assert!(check_limit(0).is_err() && check_limit(10_001).is_err());
        assert_eq!(check_limit(10_000).unwrap(), 10_000);
    }
}
