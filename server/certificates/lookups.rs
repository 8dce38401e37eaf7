//! The per-address limits on certificate lookups by code, and this server's in-memory counter.

use crate::accounts::ratelimit::{self, Limit};

/// Lookups of certificates by code per client address: generous for an HR officer checking a
/// pile of printouts, far too few to enumerate 100-bit codes. Counted in each server's memory
/// ([`Lookups`]); the misses, where guessing shows, are counted in the database.
pub const LOOKUP_IP: Limit = Limit {
    max: 120,
    window: chrono::Duration::minutes(10),
};

/// The per-address lookup counter of this server (application data).
pub struct Lookups(pub ratelimit::LocalLimiter);

impl Default for Lookups {
    fn default() -> Lookups {
        Lookups(ratelimit::LocalLimiter::new(LOOKUP_IP))
    }
}

/// Lookups that found nothing, per address: guessing shows up here first.
pub const MISS_IP: Limit = Limit {
    max: 20,
    window: chrono::Duration::minutes(10),
};
