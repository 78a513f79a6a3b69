//! Storage backends: where the database file lives. One module per backend, each turning its
//! part of a [`StorageSpec`] into an open connection (and whatever it must hold while the
//! connection lives). Adding a backend is one new module and one variant here.

#[cfg(target_arch = "wasm32")]
mod durable_object;
#[cfg(not(target_arch = "wasm32"))]
pub(super) mod file;
pub(super) mod memory;
#[cfg(target_arch = "wasm32")]
mod opfs;

use crate::error::{EngineError, ErrorCode, Result};
use rusqlite::Connection;
use std::any::Any;
use std::rc::Rc;

/// A storage that makes a store's writes all-or-nothing itself (a Durable Object's
/// `transactionSync`): the store runs each outermost write, and its migrations, inside it.
pub trait Atomic {
    fn run(&self, f: &mut dyn FnMut()) -> Result<()>;
}

/// Which database to open, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageSpec {
    /// A private in-memory database, empty or holding a copy of an exported image.
    Memory { image: Option<Vec<u8>> },
    /// A persistent database in the Origin Private File System (a browser's dedicated Worker).
    Opfs { name: String },
    /// A SQLite file on disk (native builds only).
    #[cfg(not(target_arch = "wasm32"))]
    File { path: std::path::PathBuf },
    /// A database inside a Cloudflare Durable Object's own SQLite storage (`ctx.storage`).
    #[cfg(target_arch = "wasm32")]
    DurableObject { storage: wasm_bindgen::JsValue, name: String },
}

pub(super) struct Opened {
    pub conn: Connection,
    pub hold: Option<Box<dyn Any>>,
    pub kind: &'static str,
    pub atomic: Option<Rc<dyn Atomic>>,
}

impl StorageSpec {
    /// What [`erase`] needs to find the storage again (an image is not kept).
    pub(super) fn location(&self) -> StorageSpec {
        match self {
            StorageSpec::Memory { .. } => StorageSpec::Memory { image: None },
            other => other.clone(),
        }
    }
}

pub(super) async fn open(spec: StorageSpec) -> Result<Opened> {
    match spec {
        StorageSpec::Memory { image } => {
            Ok(Opened { conn: memory::connect(image.as_deref())?, hold: None, kind: "memory", atomic: None })
        }
        StorageSpec::Opfs { name } => opfs_open(&name).await,
        #[cfg(not(target_arch = "wasm32"))]
        StorageSpec::File { path } => {
            Ok(Opened { conn: file::connect(&path)?, hold: None, kind: "file", atomic: None })
        }
        #[cfg(target_arch = "wasm32")]
        StorageSpec::DurableObject { storage, name } => {
            let (conn, lease, atomic) = durable_object::open(&storage, &name)?;
            Ok(Opened { conn, hold: Some(Box::new(lease)), kind: "durable-object", atomic: Some(atomic) })
        }
    }
}

#[cfg(target_arch = "wasm32")]
async fn opfs_open(name: &str) -> Result<Opened> {
    let (conn, lease) = opfs::open(name).await?;
    Ok(Opened { conn, hold: Some(Box::new(lease)), kind: "opfs", atomic: None })
}

#[cfg(not(target_arch = "wasm32"))]
async fn opfs_open(name: &str) -> Result<Opened> {
    Err(crate::error::EngineError::new(
        crate::error::ErrorCode::StorageUnavailable,
        format!(
            "cannot open OPFS database {}: OPFS exists only in a browser's dedicated Worker",
            crate::error::quote(name)
        ),
    ))
}

/// Deletes a database's storage. The caller closed it first; memory needs nothing.
pub(super) async fn erase(spec: &StorageSpec) -> Result<()> {
    match spec {
        StorageSpec::Memory { .. } => Ok(()),
        #[cfg(target_arch = "wasm32")]
        StorageSpec::Opfs { name } => opfs::erase(name).await,
        // Natively an OPFS database can never have been opened: nothing to delete.
        #[cfg(not(target_arch = "wasm32"))]
        StorageSpec::Opfs { .. } => Ok(()),
        #[cfg(not(target_arch = "wasm32"))]
        StorageSpec::File { path } => file::erase(path),
        #[cfg(target_arch = "wasm32")]
        StorageSpec::DurableObject { storage, name } => durable_object::erase(storage, name),
    }
}

/// Why a database that SQLite opened read-only is refused: every later write would fail. The
/// SQLite in the .wasm leaves out auto_vacuum (BENCHMARKS.md, "Size"), so a file that uses it
/// opens read-only there, as does one whose header asks for a newer write format. `header` is
/// the file's first 100 bytes when the caller has them.
pub(super) fn read_only(what: &str, header: Option<&[u8]>) -> EngineError {
    let why = match header {
        Some(h) if h.len() >= 56 && h[52..56] != [0; 4] => {
            "uses auto_vacuum (header bytes 52 to 55), which this build of SQLite cannot write".to_string()
        }
        Some(h) if h.len() >= 19 => {
            format!(
                "is in a SQLite file format this build can read but not write (header byte 18 is {})",
                h[18]
            )
        }
        _ => "opens read-only: a newer SQLite file format, or auto_vacuum, which this build cannot write"
            .to_string(),
    };
    EngineError::new(ErrorCode::StorageUnavailable, format!("{what} {why}"))
}
