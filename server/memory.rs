//! Keeping the server's resident memory small (issue 12: under 64 MB under load).
//!
//! glibc's allocator gives each thread that allocates under contention an arena of its own (up to
//! eight per core) and keeps freed memory for reuse. Two effects showed in the load benchmark:
//! publishing 200 course folders at start-up left ~40 MB that was free but still resident, and
//! the request and database threads grew arenas that stayed. Both are settings of the allocator,
//! not leaks; this module makes them.

/// Blocks this large or larger are mapped on their own and unmapped when freed.
const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;

/// At most two malloc arenas: threads share them (a little contention, much less memory).
///
/// And a fixed threshold for mapping large blocks on their own. glibc starts at 128 KiB but
/// raises it to the size of any mapped block that is freed: after the first login (Argon2 uses a
/// 19 MiB block) every later password hash came out of the heap and stayed resident, 118 MB
/// after the load benchmark's 200 logins against 62 MB without them. Fixed at 1 MiB, a hash's
/// block goes back to the system when the hash is done; pages and query results stay well
/// below it.
///
/// Call first thing in `main`, before threads exist.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Hand memory that was freed (after start-up work such as publishing course folders) back to
/// the operating system.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}
