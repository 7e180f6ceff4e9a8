//! Rendering: the success body (RequestId first, then the action's fields), the error envelope
//! `{RequestId, HostId, Code, Message, Recommend}`, and XML for `Format=XML`.

use serde_json::{Map, Value};

use crate::{ApiError, Product};

pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";
pub const XML_CONTENT_TYPE: &str = "text/xml;charset=utf-8";

/// Puts `RequestId` first, then the fields of `body` (an object).
pub fn success_body(request_id: &str, body: Value) -> Value {
    let mut out = Map::new();
    out.insert("RequestId".into(), Value::String(request_id.to_string()));
    if let Value::Object(fields) = body {
        for (k, v) in fields {
            if k != "RequestId" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

pub fn error_body(err: &ApiError, request_id: &str, product: Option<Product>) -> Value {
    let (host, code) = product
        .map(|p| (p.host_id(), p.code()))
        .unwrap_or(("ess.aliyuncs.com", "Ess"));
    let mut out = Map::new();
    out.insert("RequestId".into(), Value::String(request_id.to_string()));
    out.insert("HostId".into(), Value::String(host.to_string()));
    out.insert("Code".into(), Value::String(err.code.to_string()));
    out.insert("Message".into(), Value::String(err.message.clone()));
    out.insert(
        "Recommend".into(),
        Value::String(format!(
            "https://api.aliyun.com/troubleshoot?q={}&product={}&requestId={}",
            err.code, code, request_id
        )),
    );
    Value::Object(out)
}

/// XML the way the RPC gateway writes it: the root element, one element per field, an array as
/// the same element repeated.
pub fn xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    write_element(&mut out, root, value);
    out
}

fn write_element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                write_element(out, name, item);
            }
        }
        Value::Object(map) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            for (k, v) in map {
                write_element(out, k, v);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::String(s) => text_element(out, name, s),
        other => text_element(out, name, &other.to_string()),
    }
}

fn text_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&quick_xml::escape::escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_repeats_array_elements_and_escapes_text() {
        let v = json!({"RequestId": "R", "ScalingGroups": {"ScalingGroup": [{"Name": "a<b"}, {"Name": "c"}]}});
        assert_eq!(
            xml("DescribeScalingGroupsResponse", &v),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeScalingGroupsResponse><RequestId>R</RequestId><ScalingGroups><ScalingGroup><Name>a&lt;b</Name></ScalingGroup><ScalingGroup><Name>c</Name></ScalingGroup></ScalingGroups></DescribeScalingGroupsResponse>"
        );
    }

    #[test]
    fn error_envelope_has_the_five_fields() {
        let e = ApiError::new(
            404,
            "InvalidScalingGroupId.NotFound",
            "The specified scaling group does not exist.",
        );
        assert_eq!(
            error_body(&e, "R-1", Some(Product::Ess2022)),
            json!({"RequestId": "R-1", "HostId": "ess.aliyuncs.com", "Code": "InvalidScalingGroupId.NotFound",
                   "Message": "The specified scaling group does not exist.",
                   "Recommend": "https://api.aliyun.com/troubleshoot?q=InvalidScalingGroupId.NotFound&product=Ess&requestId=R-1"})
        );
    }
}
