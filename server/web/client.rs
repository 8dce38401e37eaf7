//! The client's address of a request, by the `trusted_proxies` setting (see [`crate::proxies`]).

use actix_web::HttpRequest;

use crate::proxies::{client_addr, TrustedProxies};

/// The client's address of a request, by the `trusted_proxies` setting. Every caller (rate
/// limits, session records) uses this one function.
pub fn client_ip(req: &HttpRequest) -> String {
    let none = TrustedProxies::None;
    let config = super::state::AppState::get(req).map(|s| &s.config);
    let trusted = config.map(|c| &c.trusted_proxies).unwrap_or(&none);
    let headers: Vec<&str> = if matches!(trusted, TrustedProxies::None) {
        Vec::new()
    } else {
        req.headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect()
    };
    client_addr(req.peer_addr().map(|a| a.ip()), &headers, trusted)
}
