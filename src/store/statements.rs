//! The connection's prepared statements, kept for its lifetime and found by the address of
//! their SQL text. rusqlite's own statement cache finds a statement by hashing and comparing its
//! whole text (several hundred bytes for the column lists), which was 7–12 % of a write call
//! (BENCHMARKS.md, round 3). Every statement run here is one of `sql.rs`'s constants, so its
//! address and length name it.

use super::errors::from_sqlite;
use crate::error::Result;
use rusqlite::{Connection, Statement};
use std::cell::RefCell;

pub(super) struct Statements<'c> {
    conn: &'c Connection,
    /// Statements not in use, with the (address, length) of their text. A list: there are a
    /// few dozen, and a linear search of them costs less code than a map (the .wasm's size).
    idle: RefCell<Vec<((usize, usize), Statement<'c>)>>,
}

impl<'c> Statements<'c> {
    pub(super) fn new(conn: &'c Connection) -> Self {
        Statements { conn, idle: RefCell::new(Vec::new()) }
    }

    pub(super) fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// Runs `f` with the statement for `sql`, prepared on first use. The statement is lent out
    /// for the call, so a nested use of the same text (none today) prepares a second one.
    pub(super) fn with<T>(
        &self,
        sql: &'static str,
        f: impl FnOnce(&mut Statement<'c>) -> Result<T>,
    ) -> Result<T> {
        let mut statement = self.take(sql)?;
        let outcome = f(&mut statement);
        self.give_back(sql, statement);
        outcome
    }

    // Not generic, and kept out of line: `with` is instantiated for every call site.
    #[inline(never)]
    fn take(&self, sql: &'static str) -> Result<Statement<'c>> {
        let key = (sql.as_ptr() as usize, sql.len());
        let idle = {
            let mut idle = self.idle.borrow_mut();
            idle.iter().position(|(k, _)| *k == key).map(|at| idle.swap_remove(at).1)
        };
        match idle {
            Some(statement) => Ok(statement),
            None => self.conn.prepare(sql).map_err(from_sqlite),
        }
    }

    #[inline(never)]
    fn give_back(&self, sql: &'static str, statement: Statement<'c>) {
        self.idle.borrow_mut().push(((sql.as_ptr() as usize, sql.len()), statement));
    }
}
