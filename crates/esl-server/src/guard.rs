//! Browser safety for a server on a developer's machine. The admin and console routes are unsigned
//! and the default AccessKey pair is public, so a web page the developer visits must not be able to
//! drive ess-local: a request whose Origin is another site is refused (a cross-site form post needs
//! no CORS preflight, but it always names its Origin), and a browser-facing request must name
//! ess-local by an IP address or `localhost`, which a DNS-rebinding page (whose Origin and Host
//! are its own name) cannot do. SDKs send neither an Origin nor, usually, a host name: they are
//! not affected.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use esl_wire::render::JSON_CONTENT_TYPE;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the Host header names this machine by an IP literal or `localhost` (or is absent).
pub fn local_host(headers: &HeaderMap) -> bool {
    let Some(host) = header(headers, "host") else {
        return true;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, _)) => return v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Whether the request names an Origin other than the host it was sent to.
pub fn foreign_origin(headers: &HeaderMap) -> bool {
    match header(headers, "origin") {
        None => false,
        Some(origin) => {
            let host = header(headers, "host").unwrap_or("");
            !origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
        }
    }
}

fn refuse(code: &str, message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [("content-type", JSON_CONTENT_TYPE)],
        serde_json::json!({"Code": code, "Message": message}).to_string(),
    )
        .into_response()
}

/// The middleware: every route, before anything else runs.
pub async fn browser_guard(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let browser_facing =
        req.uri().path().starts_with("/_ess-local/") || headers.contains_key("origin");
    if foreign_origin(headers) {
        return refuse(
            "Forbidden.Origin",
            "ess-local refuses requests from another site's page (the Origin is not this server).",
        );
    }
    if browser_facing && !local_host(headers) {
        return refuse(
            "Forbidden.Host",
            "ess-local answers browsers only when addressed by an IP address or localhost.",
        );
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1:9876",
            "localhost:9876",
            "LOCALHOST",
            "[::1]:9876",
            "10.1.2.3:80",
            "192.168.0.5",
        ] {
            assert!(local_host(&headers(&[("host", ok)])), "{ok}");
        }
        for bad in [
            "evil.example:9876",
            "ess-local:9876",
            "[nonsense]:1",
            "127.0.0.1.nip.io:9876",
        ] {
            assert!(!local_host(&headers(&[("host", bad)])), "{bad}");
        }
        assert!(local_host(&HeaderMap::new()));
    }

    #[test]
    fn origins() {
        let same = headers(&[
            ("host", "127.0.0.1:9876"),
            ("origin", "http://127.0.0.1:9876"),
        ]);
        assert!(!foreign_origin(&same));
        let other = headers(&[
            ("host", "127.0.0.1:9876"),
            ("origin", "https://evil.example"),
        ]);
        assert!(foreign_origin(&other));
        let port = headers(&[
            ("host", "127.0.0.1:9876"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(foreign_origin(&port));
        assert!(!foreign_origin(&headers(&[("host", "127.0.0.1:9876")])));
    }
}
