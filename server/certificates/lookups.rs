//! The per-address limits on certificate lookups by code, and this server's in-memory counter.

use crate::accounts::ratelimit::{self, Limit};

/// Lookups of certificates by code per client address, by default: generous for an HR officer
/// checking a pile of printouts, far too few to enumerate 100-bit codes. Counted in each server's
/// memory ([`Lookups`]); the misses, where guessing shows, are counted in the database. The
/// `certificates.lookup_limit` setting changes the number (a test server under an API tester).
pub const LOOKUP_IP: Limit = Limit {
    max: 120,
    window: chrono::Duration::minutes(10),
};

/// The limits of a server whose setting allows `lookups` per address in the window: the lookups,
/// and the misses (a sixth of them: 20 by default).
pub fn limits(lookups: i32) -> (Limit, Limit) {
    let per = |max: i32| Limit {
        max: max.max(1),
        window: LOOKUP_IP.window,
    };
    (per(lookups), per(lookups / 6))
}

/// The per-address lookup counter of this server (application data), with the limit on misses.
pub struct Lookups {
    pub counter: ratelimit::LocalLimiter,
    pub misses: Limit,
}

impl Lookups {
    /// A counter for `lookups` per address in the window (see [`limits`]).
    pub fn new(lookups: i32) -> Lookups {
        let (all, misses) = limits(lookups);
        Lookups {
            counter: ratelimit::LocalLimiter::new(all),
            misses,
        }
    }
}

impl Default for Lookups {
    fn default() -> Lookups {
        Lookups::new(LOOKUP_IP.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_120_lookups_and_20_misses_in_ten_minutes() {
        let (all, misses) = limits(LOOKUP_IP.max);
        assert_eq!((all.max, misses.max), (120, 20));
        assert_eq!(misses.window, chrono::Duration::minutes(10));
        assert_eq!(limits(6000).1.max, 1000);
    }
}
