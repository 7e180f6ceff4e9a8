//! The command line's HTTP client for a running server's admin routes (plain HTTP/1.1 over
//! loopback, through hyper).

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// `GET {endpoint}{path}?{query}`: the status and the body as text.
pub async fn admin_get(
    endpoint: &str,
    path: &str,
    query: &[(&str, String)],
) -> anyhow::Result<(u16, String)> {
    admin_request(hyper::Method::GET, endpoint, path, query).await
}

/// `{method} {endpoint}{path}?{query}` with an empty body: the status and the body as text.
pub async fn admin_request(
    method: hyper::Method,
    endpoint: &str,
    path: &str,
    query: &[(&str, String)],
) -> anyhow::Result<(u16, String)> {
    let base = endpoint.trim_end_matches('/');
    let authority = base
        .strip_prefix("http://")
        .unwrap_or(base)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    if base.starts_with("https://") {
        anyhow::bail!("{endpoint}: ess-local serves plain http");
    }
    let qs: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let uri: hyper::Uri = format!("http://{authority}{path}?{qs}").parse()?;
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach ess-local at {authority}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header(hyper::header::HOST, authority.as_str())
        .body(Empty::<Bytes>::new())?;
    let res = sender.send_request(req).await?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
