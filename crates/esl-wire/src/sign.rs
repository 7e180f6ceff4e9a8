//! Request signatures: V2 (RPC, HMAC-SHA1, what aliyun-python-sdk-core and the 2014 SDKs send) and
//! V3 (ACS3-HMAC-SHA256, the default of every Tea SDK), verified the way the real gateway does,
//! with the freshness (15 minutes) and nonce-reuse checks.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// How far a request's timestamp may be from the server's wall clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// RFC 3986 percent-encoding of UTF-8 as Alibaba signs it: unreserved `A-Za-z0-9-_.~` kept, all else
/// `%XX` in upper case (a space is `%20`, `*` is `%2A`).
pub fn pct(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// V2: `METHOD&%2F&pct(sorted k=v joined by &)`, over every parameter but `Signature`.
pub fn v2_string_to_sign(method: &str, params: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct("/"),
        pct(&canonical)
    )
}

pub fn v2_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("hmac takes any key");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The parsed `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Authorization {
    pub access_key_id: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

pub fn parse_v3_authorization(header: &str) -> Option<V3Authorization> {
    let rest = header.trim().strip_prefix(V3_ALGORITHM)?.trim_start();
    let (mut ak, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Credential" => ak = Some(v.trim().to_string()),
            "SignedHeaders" => {
                signed = Some(
                    v.trim()
                        .split(';')
                        .map(|h| h.trim().to_ascii_lowercase())
                        .collect(),
                )
            }
            "Signature" => sig = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Some(V3Authorization {
        access_key_id: ak?,
        signed_headers: signed?,
        signature: sig?,
    })
}

/// V3 canonical request: `METHOD\n/\nquery\nheaders\nsigned\npayload-hash`.
pub fn v3_canonical_request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    signed_headers: &[String],
    header_values: &dyn Fn(&str) -> Vec<String>,
    payload_hash: &str,
) -> String {
    let mut q: Vec<(String, String)> = query.iter().map(|(k, v)| (pct(k), pct(v))).collect();
    q.sort();
    let canonical_query = q
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for h in signed_headers {
        let values: Vec<String> = header_values(h)
            .iter()
            .map(|v| v.trim().to_string())
            .collect();
        canonical_headers.push_str(h);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        if path.is_empty() { "/" } else { path },
        canonical_query,
        canonical_headers,
        signed_headers.join(";"),
        payload_hash
    )
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

pub fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac takes any key");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Parses `2025-01-01T00:00:00Z` into unix seconds.
pub fn parse_timestamp(ts: &str) -> Option<i64> {
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// What a verified request proves: who sent it, and its nonce (to be remembered by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub nonce: String,
}

/// Everything of a request that a signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub form: &'a [(String, String)],
    pub header: &'a dyn Fn(&str) -> Vec<String>,
    pub body: &'a [u8],
}

/// Verifies a request's V3 or V2 signature. `secret_of` finds an AccessKey's secret; `now` is the
/// server's wall clock in unix seconds; `nonce_used` tells whether a nonce was seen already.
pub fn verify(
    req: &SignedRequest<'_>,
    secret_of: &dyn Fn(&str) -> Option<String>,
    now: i64,
    nonce_used: &dyn Fn(&str) -> bool,
) -> Result<Verified, ApiError> {
    let first = |name: &str| (req.header)(name).into_iter().next();
    if let Some(auth) = first("authorization").filter(|a| a.trim_start().starts_with("ACS3-")) {
        let auth = parse_v3_authorization(&auth).ok_or_else(ApiError::missing_signature)?;
        let secret = secret_of(&auth.access_key_id).ok_or_else(ApiError::access_key_not_found)?;
        let date = first("x-acs-date").ok_or_else(|| ApiError::missing_parameter("x-acs-date"))?;
        check_fresh(&date, now)?;
        let nonce = first("x-acs-signature-nonce")
            .ok_or_else(|| ApiError::missing_parameter("x-acs-signature-nonce"))?;
        let payload_hash = first("x-acs-content-sha256").unwrap_or_else(|| sha256_hex(req.body));
        let query: Vec<(&str, &str)> = req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let canonical = v3_canonical_request(
            req.method,
            req.path,
            &query,
            &auth.signed_headers,
            req.header,
            &payload_hash,
        );
        let sts = v3_string_to_sign(&canonical);
        if v3_signature(&secret, &sts) != auth.signature.to_ascii_lowercase() {
            return Err(ApiError::signature_mismatch(&sts));
        }
        if nonce_used(&nonce) {
            return Err(ApiError::nonce_used());
        }
        return Ok(Verified {
            access_key_id: auth.access_key_id,
            nonce,
        });
    }
    let all: Vec<(&str, &str)> = req
        .query
        .iter()
        .chain(req.form.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let get = |name: &str| all.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let signature = get("Signature").ok_or_else(ApiError::missing_signature)?;
    let ak = get("AccessKeyId").ok_or_else(|| ApiError::missing_parameter("AccessKeyId"))?;
    let secret = secret_of(ak).ok_or_else(ApiError::access_key_not_found)?;
    let ts = get("Timestamp").ok_or_else(|| ApiError::missing_parameter("Timestamp"))?;
    check_fresh(ts, now)?;
    let nonce =
        get("SignatureNonce").ok_or_else(|| ApiError::missing_parameter("SignatureNonce"))?;
    let sts = v2_string_to_sign(req.method, &all);
    if v2_signature(&secret, &sts) != signature {
        return Err(ApiError::signature_mismatch(&sts));
    }
    if nonce_used(nonce) {
        return Err(ApiError::nonce_used());
    }
    Ok(Verified {
        access_key_id: ak.to_string(),
        nonce: nonce.to_string(),
    })
}

fn check_fresh(ts: &str, now: i64) -> Result<(), ApiError> {
    let t = parse_timestamp(ts).ok_or_else(|| ApiError::timestamp_format(ts))?;
    if (now - t).abs() > MAX_SKEW_SECONDS {
        return Err(ApiError::timestamp_expired());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The spec's V2 test vector (ess-api.md §1.3), captured from the real SDK with nonce and time pinned.
    #[test]
    fn v2_test_vector() {
        let params = [
            ("Action", "DescribeScalingGroups"),
            ("Format", "json"),
            ("Version", "2022-02-22"),
            ("Timestamp", "2025-01-01T00:00:00Z"),
            ("SignatureNonce", "nonce-0001"),
            ("PageSize", "10"),
            ("RegionId", "cn-hangzhou"),
            ("ScalingGroupNames.1", "a b"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "testid"),
            ("Signature", "Exiv2ymsT/2ZxlkCK1q+Y8j33QU="),
        ];
        let sts = v2_string_to_sign("POST", &params);
        assert_eq!(sts, "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeScalingGroups%26Format%3Djson%26PageSize%3D10%26RegionId%3Dcn-hangzhou%26ScalingGroupNames.1%3Da%2520b%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-0001%26SignatureVersion%3D1.0%26Timestamp%3D2025-01-01T00%253A00%253A00Z%26Version%3D2022-02-22");
        assert_eq!(
            v2_signature("testsecret", &sts),
            "Exiv2ymsT/2ZxlkCK1q+Y8j33QU="
        );
    }

    fn v3_headers(name: &str) -> Vec<String> {
        let v = match name {
            "accept" => "application/json",
            "host" => "127.0.0.1:18080",
            "user-agent" => "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            "x-acs-action" => "DescribeScalingGroups",
            "x-acs-content-sha256" => "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "x-acs-credentials-provider" => "static_ak",
            "x-acs-date" => "2025-01-01T00:00:00Z",
            "x-acs-signature-nonce" => "nonce-0001",
            "x-acs-version" => "2022-02-22",
            "authorization" => "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=d9e0d702a7b92eb3eac0278a215fbf47acd4400216ef92459da5c6462ab5e8db",
            _ => return vec![],
        };
        vec![v.to_string()]
    }

    // The spec's V3 test vector (ess-api.md §1.4).
    #[test]
    fn v3_test_vector() {
        let auth = parse_v3_authorization(&v3_headers("authorization")[0]).unwrap();
        assert_eq!(auth.access_key_id, "testid");
        let query = [
            ("PageSize", "10"),
            ("RegionId", "cn-hangzhou"),
            ("ScalingGroupNames.1", "a b"),
        ];
        let canonical = v3_canonical_request(
            "POST",
            "/",
            &query,
            &auth.signed_headers,
            &v3_headers,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
        assert_eq!(canonical, "POST\n/\nPageSize=10&RegionId=cn-hangzhou&ScalingGroupNames.1=a%20b\naccept:application/json\nhost:127.0.0.1:18080\nuser-agent:AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2\nx-acs-action:DescribeScalingGroups\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_ak\nx-acs-date:2025-01-01T00:00:00Z\nx-acs-signature-nonce:nonce-0001\nx-acs-version:2022-02-22\n\naccept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "6c089315cf95d059ba97d28fc5f5c6e572eab133f6b09f53b4f83ab34d40d8f0"
        );
        assert_eq!(
            v3_signature("testsecret", &v3_string_to_sign(&canonical)),
            auth.signature
        );
    }

    fn v3_request<'a>(
        query: &'a [(String, String)],
        header: &'a dyn Fn(&str) -> Vec<String>,
    ) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path: "/",
            query,
            form: &[],
            header,
            body: b"",
        }
    }

    #[test]
    fn v3_verify_outcomes() {
        let query: Vec<(String, String)> = [
            ("PageSize", "10"),
            ("RegionId", "cn-hangzhou"),
            ("ScalingGroupNames.1", "a b"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let now = parse_timestamp("2025-01-01T00:05:00Z").unwrap();
        let req = v3_request(&query, &v3_headers);
        let ok = verify(
            &req,
            &|ak| (ak == "testid").then(|| "testsecret".into()),
            now,
            &|_| false,
        )
        .unwrap();
        assert_eq!(
            ok,
            Verified {
                access_key_id: "testid".into(),
                nonce: "nonce-0001".into()
            }
        );
        let err = verify(&req, &|_| None, now, &|_| false).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_ref()),
            (400, "InvalidAccessKeyId.NotFound")
        );
        let err = verify(&req, &|_| Some("wrong".into()), now, &|_| false).unwrap_err();
        assert_eq!(err.code, "SignatureDoesNotMatch");
        assert!(err.message.starts_with("Specified signature is not matched with our calculation. server string to sign is:ACS3-HMAC-SHA256\n6c089315"));
        let err = verify(&req, &|_| Some("testsecret".into()), now + 3600, &|_| false).unwrap_err();
        assert_eq!(err.code, "InvalidTimeStamp.Expired");
        let err = verify(&req, &|_| Some("testsecret".into()), now, &|n| {
            n == "nonce-0001"
        })
        .unwrap_err();
        assert_eq!(err.code, "SignatureNonceUsed");
    }

    #[test]
    fn v2_verify_from_form_body() {
        let query: Vec<(String, String)> = vec![];
        let mut form: Vec<(String, String)> = [
            ("Action", "DescribeScalingGroups"),
            ("Format", "json"),
            ("Version", "2022-02-22"),
            ("Timestamp", "2025-01-01T00:00:00Z"),
            ("SignatureNonce", "nonce-0001"),
            ("PageSize", "10"),
            ("RegionId", "cn-hangzhou"),
            ("ScalingGroupNames.1", "a b"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "testid"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        form.push(("Signature".into(), "Exiv2ymsT/2ZxlkCK1q+Y8j33QU=".into()));
        let no_headers = |_: &str| Vec::new();
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: &query,
            form: &form,
            header: &no_headers,
            body: b"",
        };
        let now = parse_timestamp("2025-01-01T00:00:10Z").unwrap();
        assert!(verify(&req, &|_| Some("testsecret".into()), now, &|_| false).is_ok());
        let err = verify(&req, &|_| Some("nope".into()), now, &|_| false).unwrap_err();
        assert!(err.message.ends_with("is:POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeScalingGroups%26Format%3Djson%26PageSize%3D10%26RegionId%3Dcn-hangzhou%26ScalingGroupNames.1%3Da%2520b%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-0001%26SignatureVersion%3D1.0%26Timestamp%3D2025-01-01T00%253A00%253A00Z%26Version%3D2022-02-22"));
    }
}
