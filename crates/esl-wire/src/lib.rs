//! The Alibaba Cloud RPC wire, and nothing of the domain: request parameters (query + form, `Name.N`
//! lists in both spellings, JSON-string parameters), signatures V2 (HMAC-SHA1) and V3
//! (ACS3-HMAC-SHA256), the official API metadata (parameter validation and response shapes per
//! version), JSON and XML rendering, and the error envelope.

pub mod error;
pub mod meta;
pub mod params;
pub mod render;
pub mod shape;
pub mod sign;

pub use error::ApiError;
pub use meta::{ActionMeta, Product};
pub use params::Params;
