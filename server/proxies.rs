//! Who is on the other end: the `trusted_proxies` setting, and the client's address it gives from
//! the TCP peer and `X-Forwarded-For` (for rate limits, session records and logs; a request's is
//! `crate::web::client::client_ip`). Plain values, no actix, so the settings can hold it.
//!
//! Without proxies the address is the TCP peer. Behind reverse proxies (`trusted_proxies`), each
//! proxy appends the address it received the request from to `X-Forwarded-For`; anything to the
//! left of what our own proxies wrote was written by the client and proves nothing. So the
//! address is read from the RIGHT: skip as many entries as there are trusted hops, or skip every
//! entry that is a trusted proxy address, and take the first one that is not.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Which proxies in front of Cakap may say who the client is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrustedProxies {
    /// None: the client is the TCP peer; `X-Forwarded-For` is ignored.
    #[default]
    None,
    /// This many proxies, one behind the other, each appending to `X-Forwarded-For`: the client
    /// is the entry this many places from the right (counting the TCP peer as the first).
    Hops(u8),
    /// Proxies at these addresses or networks: walking from the peer leftwards through
    /// `X-Forwarded-For`, the client is the first address not in the list.
    List(Vec<Cidr>),
}

/// An address or network such as `10.0.0.1` or `172.16.0.0/12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// What `trusted_proxies` accepts, for configuration errors.
pub const ACCEPTED: &str = "a number of proxy hops (0-10), or proxy addresses or networks separated by commas, such as \"10.0.0.5, 172.16.0.0/12\"";

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr {
            addr: canonical(addr),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// IPv4 addresses seen as IPv6 (`::ffff:10.0.0.1`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl TrustedProxies {
    /// `0` / `none` / empty, a number of hops, or a list of addresses and networks.
    pub fn parse(s: &str) -> Result<TrustedProxies, String> {
        let t = s.trim();
        if t.is_empty() || t == "0" || t.eq_ignore_ascii_case("none") {
            return Ok(TrustedProxies::None);
        }
        if t.chars().all(|c| c.is_ascii_digit()) {
            return match t.parse::<u8>() {
                Ok(n) if n <= 10 => Ok(TrustedProxies::Hops(n)),
                _ => Err("more hops than any real proxy chain (at most 10)".into()),
            };
        }
        let mut list = Vec::new();
        for part in t.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            match Cidr::parse(part) {
                Some(c) => list.push(c),
                None => return Err(format!("`{}` is not an IP address or network", part.trim())),
            }
        }
        Ok(TrustedProxies::List(list))
    }
}

/// One `X-Forwarded-For` entry as an address (`1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`).
fn parse_entry(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(canonical)
}

/// The client's address from the TCP peer and the `X-Forwarded-For` entries (in order, left to
/// right, all headers together).
pub fn client_addr(peer: Option<IpAddr>, forwarded: &[&str], trusted: &TrustedProxies) -> String {
    let Some(peer) = peer.map(canonical) else {
        return "unknown".into();
    };
    match trusted {
        TrustedProxies::None | TrustedProxies::Hops(0) => peer.to_string(),
        TrustedProxies::Hops(n) => {
            // the peer is hop 1 and wrote the last entry; hop n wrote the entry n from the right
            let n = *n as usize;
            if forwarded.is_empty() {
                return peer.to_string();
            }
            // fewer entries than hops: the request skipped a proxy; the leftmost entry is still
            // one a proxy of ours wrote
            let i = forwarded.len().saturating_sub(n);
            parse_entry(forwarded[i]).unwrap_or(peer).to_string()
        }
        TrustedProxies::List(proxies) => {
            let trusted = |ip: IpAddr| proxies.iter().any(|c| c.contains(ip));
            let mut client = peer;
            for entry in forwarded.iter().rev() {
                if !trusted(client) {
                    break;
                }
                match parse_entry(entry) {
                    Some(ip) => client = ip,
                    // not an address: whatever wrote it was not one of our proxies
                    None => break,
                }
            }
            client.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn settings_parse() {
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::None));
        assert_eq!(TrustedProxies::parse("0"), Ok(TrustedProxies::None));
        assert_eq!(TrustedProxies::parse("none"), Ok(TrustedProxies::None));
        assert_eq!(TrustedProxies::parse(" 2 "), Ok(TrustedProxies::Hops(2)));
        assert!(TrustedProxies::parse("11").is_err());
        assert!(TrustedProxies::parse("99999").is_err());
        let TrustedProxies::List(l) =
            TrustedProxies::parse("10.0.0.5, 172.16.0.0/12 fd00::/8").unwrap()
        else {
            panic!("a list")
        };
        assert_eq!(l.len(), 3);
        assert!(l[0].contains("10.0.0.5".parse().unwrap()));
        assert!(!l[0].contains("10.0.0.6".parse().unwrap()));
        assert!(l[1].contains("172.31.255.1".parse().unwrap()));
        assert!(!l[1].contains("172.32.0.1".parse().unwrap()));
        assert!(l[2].contains("fd12::1".parse().unwrap()));
        assert!(
            l[0].contains("::ffff:10.0.0.5".parse().unwrap()),
            "IPv4 seen as IPv6"
        );
        for bad in [
            "10.0.0.256",
            "10.0.0.0/33",
            "proxy.example",
            "10.0.0.1/x",
            "::1/129",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let c = client_addr(ip("203.0.113.9"), &["1.1.1.1"], &TrustedProxies::None);
        assert_eq!(c, "203.0.113.9");
        assert_eq!(client_addr(None, &[], &TrustedProxies::None), "unknown");
    }

    #[test]
    fn hops_count_from_the_right_so_a_written_header_changes_nothing() {
        let one = TrustedProxies::Hops(1);
        // the proxy appended the real client; the client had written a left part of its own
        let c = client_addr(ip("10.0.0.5"), &["1.2.3.4", "203.0.113.9"], &one);
        assert_eq!(c, "203.0.113.9");
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["203.0.113.9"], &one),
            "203.0.113.9"
        );
        // no header: the peer (a request that did not come through the proxy)
        assert_eq!(client_addr(ip("10.0.0.5"), &[], &one), "10.0.0.5");
        let two = TrustedProxies::Hops(2);
        let c = client_addr(
            ip("10.0.0.5"),
            &["6.6.6.6", "203.0.113.9", "10.1.0.1"],
            &two,
        );
        assert_eq!(c, "203.0.113.9");
        // ports and IPv6 brackets are tolerated
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["203.0.113.9:4431"], &one),
            "203.0.113.9"
        );
        assert_eq!(
            client_addr(ip("10.0.0.5"), &["[2001:db8::1]:80"], &one),
            "2001:db8::1"
        );
        // garbage where the proxy's entry should be: the peer
        assert_eq!(client_addr(ip("10.0.0.5"), &["nonsense"], &one), "10.0.0.5");
    }

    #[test]
    fn a_list_skips_trusted_addresses_from_the_right() {
        let list = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let c = client_addr(
            ip("10.0.0.5"),
            &["1.2.3.4", "203.0.113.9", "10.1.0.1"],
            &list,
        );
        assert_eq!(c, "203.0.113.9");
        // a peer that is not a proxy of ours: its header is ignored
        let c = client_addr(ip("198.51.100.7"), &["1.2.3.4"], &list);
        assert_eq!(c, "198.51.100.7");
        // garbage written by the client stops the walk at the last trusted hop's report
        let c = client_addr(ip("10.0.0.5"), &["1.2.3.4", "nonsense"], &list);
        assert_eq!(c, "10.0.0.5");
        // every entry a proxy: the leftmost
        let c = client_addr(ip("10.0.0.5"), &["10.9.9.9"], &list);
        assert_eq!(c, "10.9.9.9");
    }
}
