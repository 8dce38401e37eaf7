//! A power cut for SQLite, inside the test process: what a disk would still hold if the machine
//! lost power at a chosen instant, while the real app goes on running.
//!
//! Two pieces, both process-wide:
//!
//! - A VFS wrapping SQLite's "unix" VFS, registered as the default (so the app's connections use
//!   it). Reads, locks and the -shm pass straight through; every write (and truncation) to a main
//!   database file or a write-ahead log under a watched folder first saves the bytes it overwrites,
//!   as far as they were flushed: the *undo* record since the file's last flush.
//! - `fsync` and `fdatasync` of this process, interposed (the test binary defines the symbols, so
//!   SQLite's own flushes and the app's group commit — `std::fs::File::sync_data` on the log,
//!   outside SQLite — both come here). A flush of a watched file clears its undo record and makes
//!   its present length the durable one: from then on its content survives a cut.
//!
//! [`cut`] takes, atomically with respect to every write and flush, the durable image of a watched
//! folder: each file as it is now, cut back to its flushed length, with the undo record played
//! backwards. The -shm is not copied (shared memory does not survive a power loss; SQLite rebuilds
//! it from the log). The image goes into another folder, where a new app opens it as a restarted
//! machine would. The running app is not disturbed, so one run can be cut at many instants.
//!
//! The model is the usual one (as in SQLite's own crash tests): a write not yet flushed may be
//! lost, one flushed is kept. It does not tear sectors or lose a file's directory entry.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

use libsqlite3_sys as ffi;

/// (device, inode) of a file.
type FileId = (u64, u64);

/// A watched file: what of it is durable.
struct Tracked {
    path: PathBuf,
    /// Its length at the last flush (0 for a file created since).
    synced_len: u64,
    /// Bytes overwritten since the last flush, oldest first, as (offset, old bytes); only the part
    /// below `synced_len` (what lies beyond is cut off anyway).
    undo: Vec<(u64, Vec<u8>)>,
}

struct State {
    /// Folders whose SQLite files are watched.
    roots: Vec<PathBuf>,
    files: BTreeMap<FileId, Tracked>,
}

/// One lock over all of it: a write saves its undo bytes and writes, a flush flushes and clears,
/// and a cut reads the files, each as one step.
static STATE: Mutex<State> = Mutex::new(State {
    roots: Vec::new(),
    files: BTreeMap::new(),
});

/// Cuts taken so far (see [`cuts`]).
static CUTS: AtomicU64 = AtomicU64::new(0);

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Watch the SQLite files that will be opened under `root` (installing the VFS the first time).
/// Call before the app opens its database there.
pub fn watch(root: &Path) {
    install();
    // SQLite names files by their full path, symbolic links resolved
    let root = root.canonicalize().expect("the folder to watch exists");
    state().roots.push(root);
}

/// How many cuts have been taken. A reply received when this said `n` was sent before cut `n`
/// (counting from 0) began, so cut `n` and every later one must hold what it acknowledged.
pub fn cuts() -> u64 {
    CUTS.load(Ordering::SeqCst)
}

/// Cut the power under `root` now: write the durable image of its watched files into `into`
/// (same file names, no -shm). Returns the number of this cut (0 for the first).
pub fn cut(root: &Path, into: &Path) -> u64 {
    let root = root.canonicalize().expect("the watched folder exists");
    let s = state();
    let n = CUTS.fetch_add(1, Ordering::SeqCst);
    for (id, t) in s.files.iter().filter(|(_, t)| t.path.starts_with(&root)) {
        // the file at this path now, if it is still the one watched (a deleted log's entry stays)
        let Ok(meta) = std::fs::metadata(&t.path) else {
            continue;
        };
        if (meta.dev(), meta.ino()) != *id {
            continue;
        }
        let mut bytes = std::fs::read(&t.path).expect("read a watched file");
        bytes.resize(t.synced_len as usize, 0);
        for (offset, old) in t.undo.iter().rev() {
            let at = *offset as usize;
            bytes[at..at + old.len()].copy_from_slice(old);
        }
        let name = t.path.file_name().expect("a file name");
        std::fs::write(into.join(name), bytes).expect("write the image");
    }
    n
}

// ---------------------------------------------------------------------------------------------
// The flush side: fsync and fdatasync of this process.

/// `fsync(2)`, as the C library's, noting flushes of watched files.
///
/// # Safety
/// As `fsync(2)`: any integer is accepted; a bad descriptor fails with EBADF.
#[no_mangle]
pub unsafe extern "C" fn fsync(fd: c_int) -> c_int {
    flush(fd, libc::SYS_fsync)
}

/// `fdatasync(2)`, as the C library's, noting flushes of watched files.
///
/// # Safety
/// As `fdatasync(2)`.
#[no_mangle]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    flush(fd, libc::SYS_fdatasync)
}

/// The real system call, made directly (the C library's wrapper is what these replace). The lock
/// is held across it, so no write to the file comes in between the flush and the bookkeeping.
unsafe fn flush(fd: c_int, call: libc::c_long) -> c_int {
    let mut s = state();
    let mut st: libc::stat = std::mem::zeroed();
    let id = (libc::fstat(fd, &mut st) == 0).then_some((st.st_dev as u64, st.st_ino as u64));
    if !id.is_some_and(|id| s.files.contains_key(&id)) {
        drop(s);
        return libc::syscall(call, fd as libc::c_long) as c_int;
    }
    let rc = libc::syscall(call, fd as libc::c_long) as c_int;
    if rc == 0 {
        if let Some(t) = id.and_then(|id| s.files.get_mut(&id)) {
            // what the file holds now is on disk
            t.undo.clear();
            t.synced_len = st.st_size as u64;
        }
    }
    rc
}

// ---------------------------------------------------------------------------------------------
// The write side: a VFS wrapping "unix".

/// The wrapped VFS ("unix"), as a `*mut sqlite3_vfs` stored once.
static REAL_VFS: AtomicUsize = AtomicUsize::new(0);

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    REAL_VFS.load(Ordering::SeqCst) as *mut ffi::sqlite3_vfs
}

/// Our file object. SQLite allocates `szOsFile` bytes for it; the unix VFS's own file object
/// lives in the same allocation, at `HEADER` bytes in.
#[repr(C)]
struct CutFile {
    /// Must come first: SQLite sees a `sqlite3_file*`.
    base: ffi::sqlite3_file,
    /// The unix VFS's file (inside this allocation).
    real: *mut ffi::sqlite3_file,
    /// Whether writes to this file keep an undo record, and its (device, inode).
    watched: bool,
    id: FileId,
}

/// `CutFile`'s size rounded up to 16 bytes, where the real file object starts.
const HEADER: usize = std::mem::size_of::<CutFile>().div_ceil(16) * 16;

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        // the default VFS now: "unix" (sqlite3_vfs_find initialises SQLite if needed)
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has a default VFS");
        REAL_VFS.store(real as usize, Ordering::SeqCst);
        // A copy of it with our xOpen and a larger file object. Its other methods (delete,
        // access, full path name, randomness, time …) are the unix ones, which read only
        // `mxPathname` and `pAppData` from the VFS they are given: both copied.
        let mut vfs: ffi::sqlite3_vfs = *real;
        vfs.szOsFile = (HEADER + (*real).szOsFile as usize) as c_int;
        vfs.zName = c"powercut".as_ptr();
        vfs.pNext = std::ptr::null_mut();
        vfs.xOpen = Some(x_open);
        vfs.xDelete = Some(x_delete);
        // registered for the life of the process: SQLite keeps the pointer
        let vfs = Box::leak(Box::new(vfs));
        let rc = ffi::sqlite3_vfs_register(vfs, 1);
        assert_eq!(rc, ffi::SQLITE_OK, "the power-cut VFS is registered");
    });
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let f = file as *mut CutFile;
    // until the real file is open, SQLite must not call our methods (it skips xClose then)
    (*f).base.pMethods = std::ptr::null();
    (*f).real = (file as *mut u8).add(HEADER) as *mut ffi::sqlite3_file;
    (*f).watched = false;
    (*f).id = (0, 0);
    let real = real_vfs();
    let rc = ((*real).xOpen.expect("unix xOpen"))(real, name, (*f).real, flags, out_flags);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    if !name.is_null() && flags & (ffi::SQLITE_OPEN_MAIN_DB | ffi::SQLITE_OPEN_WAL) != 0 {
        let path = PathBuf::from(
            CStr::from_ptr(name as *const c_char)
                .to_string_lossy()
                .as_ref(),
        );
        let mut s = state();
        if s.roots.iter().any(|r| path.starts_with(r)) {
            if let Ok(meta) = std::fs::metadata(&path) {
                let id = (meta.dev(), meta.ino());
                // a file met for the first time: what it holds now counts as flushed (a new
                // log is empty; the database file was made empty by the app before SQLite)
                s.files.entry(id).or_insert_with(|| Tracked {
                    path,
                    synced_len: meta.len(),
                    undo: Vec::new(),
                });
                (*f).watched = true;
                (*f).id = id;
            }
        }
    }
    (*f).base.pMethods = &METHODS;
    ffi::SQLITE_OK
}

/// Deleting a file (SQLite deletes the log when the last connection closes) forgets it: a new
/// file may get the same inode number.
unsafe extern "C" fn x_delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    let real = real_vfs();
    if !name.is_null() {
        let path = PathBuf::from(CStr::from_ptr(name).to_string_lossy().as_ref());
        state().files.retain(|_, t| t.path != path);
    }
    // not under the lock: the unix VFS flushes the folder (`fsync` above takes the lock)
    ((*real).xDelete.expect("unix xDelete"))(real, name, sync_dir)
}

unsafe fn real(
    file: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    let r = (*(file as *mut CutFile)).real;
    (r, &*(*r).pMethods)
}

/// Save what `len` bytes at `offset` hold now, as far as they lie below the flushed length.
unsafe fn save(t: &mut Tracked, file: *mut ffi::sqlite3_file, offset: u64, len: u64) {
    if offset >= t.synced_len {
        return;
    }
    let n = (offset + len).min(t.synced_len) - offset;
    let mut old = vec![0u8; n as usize];
    let (r, m) = real(file);
    // a short read (the file was truncated since the flush) fills with zeros; the undo entry
    // of that truncation, older, is played after this one and restores the bytes
    let rc = (m.xRead.expect("xRead"))(
        r,
        old.as_mut_ptr() as *mut c_void,
        n as c_int,
        offset as i64,
    );
    assert!(
        rc == ffi::SQLITE_OK || rc == ffi::SQLITE_IOERR_SHORT_READ,
        "reading the bytes a write replaces failed: {rc}"
    );
    t.undo.push((offset, old));
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    let f = &*(file as *mut CutFile);
    let (r, m) = real(file);
    if !f.watched {
        return (m.xWrite.expect("xWrite"))(r, buf, amt, offset);
    }
    let mut s = state();
    if let Some(t) = s.files.get_mut(&f.id) {
        save(t, file, offset as u64, amt as u64);
    }
    (m.xWrite.expect("xWrite"))(r, buf, amt, offset)
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    let f = &*(file as *mut CutFile);
    let (r, m) = real(file);
    if !f.watched {
        return (m.xTruncate.expect("xTruncate"))(r, size);
    }
    let mut s = state();
    if let Some(t) = s.files.get_mut(&f.id) {
        let size = size.max(0) as u64;
        if size < t.synced_len {
            let len = t.synced_len - size;
            save(t, file, size, len);
        }
    }
    (m.xTruncate.expect("xTruncate"))(r, size)
}

// The rest pass straight through to the unix file.

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(file);
    (m.xClose.expect("xClose"))(r)
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    offset: i64,
) -> c_int {
    let (r, m) = real(file);
    (m.xRead.expect("xRead"))(r, buf, amt, offset)
}

/// The flush itself reaches `fsync`/`fdatasync` above, which keeps the books.
unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let (r, m) = real(file);
    (m.xSync.expect("xSync"))(r, flags)
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let (r, m) = real(file);
    (m.xFileSize.expect("xFileSize"))(r, size)
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (r, m) = real(file);
    (m.xLock.expect("xLock"))(r, level)
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (r, m) = real(file);
    (m.xUnlock.expect("xUnlock"))(r, level)
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let (r, m) = real(file);
    (m.xCheckReservedLock.expect("xCheckReservedLock"))(r, out)
}

unsafe extern "C" fn x_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    let (r, m) = real(file);
    (m.xFileControl.expect("xFileControl"))(r, op, arg)
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(file);
    (m.xSectorSize.expect("xSectorSize"))(r)
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    let (r, m) = real(file);
    (m.xDeviceCharacteristics.expect("xDeviceCharacteristics"))(r)
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    page: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (r, m) = real(file);
    (m.xShmMap.expect("xShmMap"))(r, page, size, extend, out)
}

unsafe extern "C" fn x_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    let (r, m) = real(file);
    (m.xShmLock.expect("xShmLock"))(r, offset, n, flags)
}

unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    let (r, m) = real(file);
    (m.xShmBarrier.expect("xShmBarrier"))(r)
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    let (r, m) = real(file);
    (m.xShmUnmap.expect("xShmUnmap"))(r, delete)
}

unsafe extern "C" fn x_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amt: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (r, m) = real(file);
    (m.xFetch.expect("xFetch"))(r, offset, amt, out)
}

unsafe extern "C" fn x_unfetch(file: *mut ffi::sqlite3_file, offset: i64, p: *mut c_void) -> c_int {
    let (r, m) = real(file);
    (m.xUnfetch.expect("xUnfetch"))(r, offset, p)
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};
