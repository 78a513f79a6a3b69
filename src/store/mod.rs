//! Storage: the one place that talks SQL. It loads and saves model records; it makes no
//! decisions. Every write goes through [`Store::write`], one `BEGIN IMMEDIATE` transaction that
//! commits only if the closure succeeds.

mod errors;
mod migrate;
mod open;
mod rows;
mod sql;
mod tx;

pub use migrate::latest_version;
pub use tx::Tx;

use crate::error::Result;
use errors::from_sqlite;
use rusqlite::Connection;

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Takes an open connection, sets its pragmas and brings the schema up to date.
    pub fn from_connection(conn: Connection) -> Result<Store> {
        conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA synchronous = NORMAL;").map_err(from_sqlite)?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate::migrate(&conn)?;
        Ok(Store { conn })
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it.
    pub fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(from_sqlite)?;
        match f(&Tx::new(&self.conn)) {
            Ok(value) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(from_sqlite(e))
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Runs `f` in a read transaction, so that its several statements see one snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN DEFERRED").map_err(from_sqlite)?;
        let out = f(&Tx::new(&self.conn));
        let _ = self.conn.execute_batch("COMMIT");
        out
    }

    /// The whole database as a standard SQLite file.
    pub fn export_image(&mut self) -> Result<Vec<u8>> {
        let data = self.conn.serialize(rusqlite::MAIN_DB).map_err(from_sqlite)?;
        Ok(data.to_vec())
    }
}
