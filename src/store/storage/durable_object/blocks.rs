//! The object's SQL storage seen as files of fixed-size blocks: the rows the VFS reads and
//! writes (`ff_vfs_file` holds each file's size, `ff_vfs_block` its data), and the main
//! database file over them.

use super::{SqlStorage, BLOCK};
use sqlite_wasm_rs::vfs::{VfsError, VfsErrorCode, VfsResult};
use wasm_bindgen::JsValue;

pub(super) const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS ff_vfs_file (name TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID; \
     CREATE TABLE IF NOT EXISTS ff_vfs_block (name TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, \
     PRIMARY KEY (name, idx)) WITHOUT ROWID";
const SELECT_SIZE: &str = "SELECT size FROM ff_vfs_file WHERE name = ?";
const UPSERT_SIZE: &str = "INSERT INTO ff_vfs_file (name, size) VALUES (?, ?) \
     ON CONFLICT (name) DO UPDATE SET size = excluded.size";
const SELECT_BLOCK: &str = "SELECT data FROM ff_vfs_block WHERE name = ? AND idx = ?";
const UPSERT_BLOCK: &str = "INSERT INTO ff_vfs_block (name, idx, data) VALUES (?, ?, ?) \
     ON CONFLICT (name, idx) DO UPDATE SET data = excluded.data";
const DELETE_BLOCKS_FROM: &str = "DELETE FROM ff_vfs_block WHERE name = ? AND idx >= ?";
const DELETE_FILE: &str = "DELETE FROM ff_vfs_file WHERE name = ?";

fn io(code: VfsErrorCode, what: &str, e: JsValue) -> VfsError {
    let detail = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string());
    VfsError::new(code, format!("{what}: {}", detail.unwrap_or_else(|| format!("{e:?}"))).into())
}

/// The object's SQL storage, seen as files of blocks.
#[derive(Clone)]
pub(super) struct Blocks(pub(super) SqlStorage);

impl Blocks {
    pub(super) fn run(
        &self,
        query: &str,
        bindings: &[JsValue],
    ) -> std::result::Result<js_sys::Array, JsValue> {
        let args: js_sys::Array = bindings.iter().collect();
        Ok(self.0.exec(query, &args)?.to_array())
    }

    pub(super) fn size(&self, name: &str) -> VfsResult<Option<u64>> {
        let rows =
            self.run(SELECT_SIZE, &[name.into()]).map_err(|e| io(VfsErrorCode::IoRead, "file size", e))?;
        let size = rows.get(0);
        if size.is_undefined() {
            return Ok(None);
        }
        let n = js_sys::Reflect::get(&size, &"size".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok(Some(n as u64))
    }

    pub(super) fn set_size(&self, name: &str, size: u64) -> VfsResult<()> {
        self.run(UPSERT_SIZE, &[name.into(), (size as f64).into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoWrite, "file size", e))
    }

    /// A block's bytes (shorter or empty where nothing was written).
    pub(super) fn block(&self, name: &str, idx: u64) -> VfsResult<Vec<u8>> {
        let rows = self
            .run(SELECT_BLOCK, &[name.into(), (idx as f64).into()])
            .map_err(|e| io(VfsErrorCode::IoRead, "block read", e))?;
        let row = rows.get(0);
        if row.is_undefined() {
            return Ok(Vec::new());
        }
        let data = js_sys::Reflect::get(&row, &"data".into()).unwrap_or_default();
        Ok(js_sys::Uint8Array::new(&data).to_vec())
    }

    pub(super) fn put_block(&self, name: &str, idx: u64, data: &[u8]) -> VfsResult<()> {
        let bytes = js_sys::Uint8Array::from(data);
        self.run(UPSERT_BLOCK, &[name.into(), (idx as f64).into(), bytes.buffer().into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoWrite, "block write", e))
    }

    pub(super) fn drop_blocks_from(&self, name: &str, idx: u64) -> VfsResult<()> {
        self.run(DELETE_BLOCKS_FROM, &[name.into(), (idx as f64).into()])
            .map(drop)
            .map_err(|e| io(VfsErrorCode::IoTruncate, "truncate", e))
    }

    /// Deletes a file: its blocks, then its size row.
    pub(super) fn delete_file(&self, name: &str) -> VfsResult<()> {
        self.drop_blocks_from(name, 0)?;
        self.run(DELETE_FILE, &[name.into()]).map(drop).map_err(|e| io(VfsErrorCode::IoDelete, "delete", e))
    }
}

/// The persisted main database file.
pub(super) struct StoredFile {
    pub(super) blocks: Blocks,
    pub(super) name: String,
    pub(super) size: u64,
}

impl StoredFile {
    pub(super) fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        if offset >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let end = (offset + buf.len() as u64).min(self.size);
        let mut at = offset;
        while at < end {
            let idx = at / BLOCK as u64;
            let within = (at % BLOCK as u64) as usize;
            let take = ((BLOCK - within) as u64).min(end - at) as usize;
            let block = self.blocks.block(&self.name, idx)?;
            let dest = &mut buf[(at - offset) as usize..][..take];
            dest.fill(0);
            if within < block.len() {
                let have = (block.len() - within).min(take);
                dest[..have].copy_from_slice(&block[within..within + have]);
            }
            at += take as u64;
        }
        Ok((end - offset) as usize)
    }

    pub(super) fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or_else(|| VfsError::new(VfsErrorCode::Full, "file too large".into()))?;
        let mut at = offset;
        while at < end {
            let idx = at / BLOCK as u64;
            let within = (at % BLOCK as u64) as usize;
            let take = ((BLOCK - within) as u64).min(end - at) as usize;
            let src = &buf[(at - offset) as usize..][..take];
            if within == 0 && take == BLOCK {
                self.blocks.put_block(&self.name, idx, src)?;
            } else {
                let mut block = self.blocks.block(&self.name, idx)?;
                block.resize(BLOCK.max(block.len()), 0);
                block[within..within + take].copy_from_slice(src);
                self.blocks.put_block(&self.name, idx, &block)?;
            }
            at += take as u64;
        }
        if end > self.size {
            self.size = end;
            self.blocks.set_size(&self.name, end)?;
        }
        Ok(())
    }

    pub(super) fn truncate(&mut self, size: u64) -> VfsResult<()> {
        if size < self.size {
            self.blocks.drop_blocks_from(&self.name, size.div_ceil(BLOCK as u64))?;
        }
        self.size = size;
        self.blocks.set_size(&self.name, size)
    }
}
