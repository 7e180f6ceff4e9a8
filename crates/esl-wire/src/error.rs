//! The one error type that crosses the wire: an HTTP status, an Alibaba error `Code` and a `Message`.
//! Every layer's errors become an `ApiError` before they are rendered (see `render::error_body`).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    }

    pub fn invalid_parameter(name: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified value of parameter \"{name}\" is not valid."),
        )
    }

    pub fn action_not_found() -> Self {
        Self::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    pub fn unsupported_operation(action: &str) -> Self {
        Self::new(
            400,
            "UnsupportedOperation",
            format!("The specified action is not supported. ess-local does not emulate \"{action}\" yet."),
        )
    }

    pub fn no_such_version(version: &str) -> Self {
        Self::new(
            400,
            "NoSuchVersion",
            format!("The specified version \"{version}\" does not exist."),
        )
    }

    pub fn missing_version() -> Self {
        Self::new(
            400,
            "MissingVersion",
            "Version is mandatory for this action.",
        )
    }

    pub fn missing_action() -> Self {
        Self::new(400, "MissingAction", "Action is mandatory for this action.")
    }

    pub fn access_key_not_found() -> Self {
        Self::new(
            400,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    pub fn signature_mismatch(string_to_sign: &str) -> Self {
        Self::new(
            400,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"),
        )
    }

    pub fn timestamp_expired() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    pub fn timestamp_format(name: &str) -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value \"{name}\" is not well formatted."),
        )
    }

    pub fn nonce_used() -> Self {
        Self::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    pub fn missing_signature() -> Self {
        Self::new(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}
