//! The SQLite VFS over the blocks: the main database file is stored ([`StoredFile`]);
//! journals and temporary files live in memory; durability and locking are the object's.

use super::blocks::{Blocks, StoredFile};
use sqlite_wasm_rs::vfs::{
    AccessMode, FileKind, LockLevel, MemChunksFile, OpenAccess, OpenOptions, OpenRequest, OpenedFile,
    OsCallback, SQLiteIoMethods, SQLiteVfs, SyncOptions, VfsError, VfsErrorCode, VfsFile, VfsResult,
    VfsStore,
};
use sqlite_wasm_rs::WasmOsCallback;
use std::cell::RefCell;

/// An open file: the stored main database, or an in-memory journal or temporary file.
pub(super) enum DoFile {
    Stored(StoredFile),
    Memory(MemChunksFile),
}

impl VfsFile for DoFile {
    fn read(&mut self, buf: &mut [u8], offset: u64) -> VfsResult<usize> {
        match self {
            DoFile::Stored(f) => f.read(buf, offset),
            DoFile::Memory(f) => f.read(buf, offset),
        }
    }

    fn write(&mut self, buf: &[u8], offset: u64) -> VfsResult<()> {
        match self {
            DoFile::Stored(f) => f.write(buf, offset),
            DoFile::Memory(f) => f.write(buf, offset),
        }
    }

    fn truncate(&mut self, size: u64) -> VfsResult<()> {
        match self {
            DoFile::Stored(f) => f.truncate(size),
            DoFile::Memory(f) => f.truncate(size),
        }
    }

    /// Durability is the object's: its storage commits with the request's transaction.
    fn sync(&mut self, _options: SyncOptions) -> VfsResult<()> {
        Ok(())
    }

    fn size(&self) -> VfsResult<u64> {
        match self {
            DoFile::Stored(f) => Ok(f.size),
            DoFile::Memory(f) => f.size(),
        }
    }

    fn lock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn unlock(&mut self, _level: LockLevel) -> VfsResult<()> {
        Ok(())
    }

    fn check_reserved_lock(&self) -> VfsResult<bool> {
        Ok(false)
    }
}

pub(super) struct DoAppData {
    pub(super) blocks: Blocks,
    pub(super) os: WasmOsCallback,
    pub(super) error: RefCell<Option<VfsError>>,
}

pub(super) struct DoStore;

impl VfsStore for DoStore {
    type File = DoFile;
    type AppData = DoAppData;

    fn record_error(data: &DoAppData, error: VfsError) {
        data.error.replace(Some(error));
    }

    fn last_error(data: &DoAppData) -> Option<VfsError> {
        data.error.borrow().clone()
    }

    fn open_file(data: &DoAppData, request: OpenRequest<'_>) -> VfsResult<OpenedFile<DoFile>> {
        let access = request.options.access();
        let main = request.options.kind() == Some(FileKind::MainDb);
        let (Some(filename), true) = (request.filename, main) else {
            return Ok(OpenedFile { file: DoFile::Memory(MemChunksFile::default()), access });
        };
        let name = filename.path().to_string();
        let size = match data.blocks.size(&name)? {
            Some(size) => size,
            None if request.options.create() => {
                data.blocks.set_size(&name, 0)?;
                0
            }
            None => {
                return Err(VfsError::new(VfsErrorCode::CantOpen, format!("no database {name:?}").into()))
            }
        };
        let file = StoredFile { blocks: data.blocks.clone(), name, size };
        Ok(OpenedFile {
            file: DoFile::Stored(file),
            access: if access == OpenAccess::ReadOnly { access } else { OpenAccess::ReadWrite },
        })
    }

    fn close_file(
        _data: &DoAppData,
        _name: Option<&str>,
        _file: DoFile,
        _options: OpenOptions,
    ) -> VfsResult<()> {
        Ok(())
    }

    fn access(data: &DoAppData, name: &str, _mode: AccessMode) -> VfsResult<bool> {
        Ok(data.blocks.size(name)?.is_some())
    }

    fn full_pathname(_data: &DoAppData, name: &str) -> VfsResult<String> {
        Ok(name.into())
    }

    fn delete_file(data: &DoAppData, name: &str, _sync_dir: bool) -> VfsResult<()> {
        data.blocks.delete_file(name)
    }
}

pub(super) struct DoIoMethods;

impl SQLiteIoMethods for DoIoMethods {
    type Store = DoStore;
}

pub(super) struct DoVfs;

impl SQLiteVfs<DoIoMethods> for DoVfs {
    type Os = dyn OsCallback;

    fn os(data: &DoAppData) -> &Self::Os {
        &data.os
    }
}
