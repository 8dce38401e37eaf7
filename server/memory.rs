//! Keeping the server's resident memory small (issue 12: under 64 MB under load).
//!
//! glibc's allocator gives each thread that allocates under contention an arena of its own (up to
//! eight per core) and keeps freed memory for reuse. Two effects showed in the load benchmark:
//! publishing 200 course folders at start-up left ~40 MB that was free but still resident, and
//! the request and database threads grew arenas that stayed. Both are settings of the allocator,
//! not leaks; this module makes them.

/// At most two malloc arenas: threads share them (a little contention, much less memory).
/// Call first thing in `main`, before threads exist.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
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
