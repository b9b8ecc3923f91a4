//! The server's door: every request must name this server in its `Host` header and carry
//! the access token, and a request that changes anything must come from the page itself.
//!
//! - **Host.** The header must be the bound address with its port (`127.0.0.1:7962`), or
//!   `localhost`, another IP literal of a wildcard bind, or a name given with `--allow-host`,
//!   with the port. A page on another site that makes its own name resolve to 127.0.0.1 (DNS
//!   rebinding) sends its own name, and is refused with 403 before the token is looked at.
//! - **Token.** A 256-bit random token, printed in the URL at start. The request carries it
//!   as `?token=`, as the cookie the page gets on its first request, or as
//!   `Authorization: Bearer`; compared in constant time. Without it: 401. A page request
//!   with `?token=` is answered with the cookie and a redirect to the same page without it,
//!   so the token does not stay in the address bar or the history.
//! - **Origin.** A request other than GET or HEAD that sends an `Origin` must send this
//!   server's (`http://` and its Host): a page of another port on localhost shares the
//!   cookie, not the origin. Otherwise 403.
//!
//! Every answer also says `nosniff`, sends no referrer and may not be framed by another
//! site.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::App;

/// A new access token: 32 bytes from the operating system's random source, as hex. (Not
/// the simulation's seeded generator: a token must not be predictable.)
pub fn new_token() -> Result<String, rand::rand_core::OsError> {
    use rand::TryRngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The cookie that carries the token, named after the port: two servers on one machine
/// (cookies ignore ports) do not overwrite each other's.
pub fn cookie_name(port: u16) -> String {
    format!("syncsim_token_{port}")
}

/// Equality that takes as long whatever the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `host` (the Host header) names this server.
pub fn host_allowed(app: &App, host: &str) -> bool {
    let s = app.settings();
    let port = s.addr.port();
    // `name:port`, or `[v6]:port`.
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    if p.parse::<u16>().ok() != Some(port) {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if s.allow_hosts.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        return true;
    }
    let bound = s.addr.ip();
    if name.eq_ignore_ascii_case("localhost") {
        return bound.is_loopback() || bound.is_unspecified();
    }
    match name.parse::<IpAddr>() {
        // An IP literal cannot be rebound; a wildcard bind answers on every address.
        Ok(ip) => {
            ip == bound || bound.is_unspecified() || (ip.is_loopback() && bound.is_loopback())
        }
        Err(_) => false,
    }
}

/// The token a request carries, if any: `?token=`, the cookie, or a bearer header.
fn carried_token(app: &App, req: &Request) -> Option<String> {
    if let Some(q) = req.uri().query() {
        for pair in q.split('&') {
            if let Some(t) = pair.strip_prefix("token=") {
                return Some(t.to_string());
            }
        }
    }
    let name = cookie_name(app.settings().addr.port());
    for value in req.headers().get_all(header::COOKIE) {
        for c in value.to_str().unwrap_or_default().split(';') {
            if let Some((k, v)) = c.trim().split_once('=') {
                if k == name {
                    return Some(v.to_string());
                }
            }
        }
    }
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

/// A refusal with a one-line explanation.
fn refuse(status: StatusCode, why: &str) -> Response {
    let mut r = (status, format!("{why}\n")).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"syncsim serve\""),
        );
    }
    r
}

/// The middleware: checks Host, token and Origin, swaps a URL token for the cookie, and
/// adds the headers every answer carries.
pub async fn check(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut response = if !host_allowed(&app, &host) {
        app.count_refused();
        refuse(
            StatusCode::FORBIDDEN,
            "this server answers only requests addressed to it (the Host header names another \
             host); open the URL syncsim serve printed",
        )
    } else if !carried_token(&app, &req)
        .is_some_and(|t| same(t.as_bytes(), app.settings().token.as_bytes()))
    {
        app.count_refused();
        refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong token: open the URL syncsim serve printed (it carries the token)",
        )
    } else if !matches!(*req.method(), Method::GET | Method::HEAD)
        && req
            .headers()
            .get(header::ORIGIN)
            .is_some_and(|o| o.as_bytes() != format!("http://{host}").as_bytes())
    {
        app.count_refused();
        refuse(
            StatusCode::FORBIDDEN,
            "a request from another site's page is refused",
        )
    } else if req.method() == Method::GET
        && req.uri().path() == "/"
        && req.uri().query().is_some_and(|q| q.contains("token="))
    {
        // The token moves to a cookie and leaves the address bar.
        let query: Vec<&str> = req
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.starts_with("token=") && !p.is_empty())
            .collect();
        let location = if query.is_empty() {
            "/".to_string()
        } else {
            format!("/?{}", query.join("&"))
        };
        let mut r = Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .body(Body::empty())
            .expect("a valid redirect");
        let cookie = format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            cookie_name(app.settings().addr.port()),
            app.settings().token
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same(a.as_bytes(), a.clone().as_bytes()));
        assert!(!same(a.as_bytes(), &a.as_bytes()[..63]));
        assert!(!same(a.as_bytes(), b.as_bytes()));
    }
}
