//! ess-local's resources and rules, pure and sans-IO: resource documents with typed states,
//! the error catalogue (`fault`), network math (CIDRs, private-IP allocation), the whitelist algebra
//! shared by every database engine, and the scaling arithmetic. Reads no clock and opens no socket:
//! time comes in as milliseconds.
//!
//! The only thing used from esl-store is the `Resource` trait, which says how a document is keyed.

pub mod access;
pub mod database;
pub mod fault;
pub mod model;
pub mod net;
pub mod scaling;
pub mod schedule;
pub mod whitelist;

pub use fault::Fault;
