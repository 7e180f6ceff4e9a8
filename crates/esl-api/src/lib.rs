//! ess-local's actions: one handler per action, grouped by product, registered in a table keyed by
//! (product, action); and the engine's job steps (`jobs`). A handler has one shape: read typed
//! parameters, then inside one store transaction load state, apply the domain rules, save, and
//! enqueue follow-up work; it returns the canonical response, which `dispatch` shapes for the
//! requested version.

#![recursion_limit = "256"]

pub mod access;
mod dbs;
mod ecs;
mod ess;
mod jobs;
mod membership;
mod oos;
mod rds;
mod util;
mod vpc;

use std::collections::HashMap;
use std::sync::Arc;

use esl_domain::Fault;
use esl_engine::{Clock, IdGen};
use esl_store::{Store, StoreError, Tx};
use esl_wire::{ApiError, Params, Product};
use serde_json::{json, Value};

pub use jobs::Jobs;

/// How long the emulated work takes, in milliseconds.
#[derive(Debug, Clone)]
pub struct Timing {
    pub instance_launch_ms: i64,
    pub instance_release_ms: i64,
    pub db_create_ms: i64,
    pub db_delete_ms: i64,
    pub instance_stop_ms: i64,
    pub instance_start_ms: i64,
    /// How long after an instance leaves Running (or is deleted, or marked Unhealthy) the
    /// scaling group's health check notices.
    pub health_check_ms: i64,
    /// How long an OOS execution takes to start running after it is created.
    pub oos_start_ms: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            instance_launch_ms: 2_000,
            instance_release_ms: 1_000,
            db_create_ms: 3_000,
            db_delete_ms: 1_000,
            instance_stop_ms: 1_000,
            instance_start_ms: 1_000,
            health_check_ms: 5_000,
            oos_start_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Quotas {
    pub scaling_groups_per_region: u64,
    pub max_size: i64,
    pub configurations_per_group: u64,
    pub rules_per_group: u64,
    pub db_instances_per_group: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            scaling_groups_per_region: 100,
            max_size: 2000,
            configurations_per_group: 10,
            rules_per_group: 50,
            db_instances_per_group: 8,
        }
    }
}

pub struct Cloud {
    pub store: Store,
    pub clock: Arc<Clock>,
    pub ids: Arc<IdGen>,
    pub account_id: String,
    pub timing: Timing,
    pub quotas: Quotas,
    handlers: HashMap<(Family, &'static str), Handler>,
}

/// The products that share handlers: ESS 2014-08-28 and 2022-02-22 are one family, as are the VPC
/// actions under ECS and VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Ess,
    Ecs,
    Vpc,
    Rds,
    Polardb,
    Dds,
    Adb,
    Gpdb,
    Kvstore,
    Oos,
}

fn family(product: Product) -> Option<Family> {
    match product {
        Product::Ess2014 | Product::Ess2022 => Some(Family::Ess),
        Product::Ecs => Some(Family::Ecs),
        Product::Vpc => Some(Family::Vpc),
        Product::Rds => Some(Family::Rds),
        Product::Polardb => Some(Family::Polardb),
        Product::Dds => Some(Family::Dds),
        Product::Adb => Some(Family::Adb),
        Product::Gpdb => Some(Family::Gpdb),
        Product::Kvstore => Some(Family::Kvstore),
        Product::Oos => Some(Family::Oos),
    }
}

/// What a handler may fail with.
#[derive(Debug)]
pub enum Error {
    Fault(Fault),
    Api(ApiError),
    Store(StoreError),
}

impl From<Fault> for Error {
    fn from(f: Fault) -> Self {
        Error::Fault(f)
    }
}
impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl Error {
    /// What the caller sees: the fault's code, a conflict error (see `conflict_error`), or a
    /// generic internal error (logged in detail).
    pub fn into_api(self, action: &str) -> ApiError {
        self.into_api_of(None, action)
    }

    /// `into_api` for a call to `product`: a transaction that kept losing to concurrent ones
    /// answers with that product's own conflict error.
    pub fn into_api_of(self, product: Option<Product>, action: &str) -> ApiError {
        match self {
            Error::Fault(f) => ApiError::new(f.status, f.code, f.message),
            Error::Api(e) => e,
            Error::Store(StoreError::Conflict { attempts }) => {
                tracing::warn!(action, attempts, "gave up on a conflicting transaction");
                conflict_error(product)
            }
            Error::Store(e) => {
                tracing::error!(action, "store error: {e}");
                ApiError::internal()
            }
        }
    }
}

/// What a caller gets when its call kept conflicting with concurrent ones after the store's
/// retries (PostgreSQL, several writers): a retryable 4xx from the product's documented error codes
/// (api-meta), never a 500. ESS, and the products whose docs have no such code, answer ESS's
/// `InvalidOperation.Conflict`.
pub fn conflict_error(product: Option<Product>) -> ApiError {
    match product {
        Some(Product::Ecs) => ApiError::new(
            403,
            "OperationConflict",
            "Request was denied due to conflict with a previous request.",
        ),
        Some(Product::Vpc) => ApiError::new(
            409,
            "OperationConflict",
            "Request was denied due to conflict with a previous request.",
        ),
        Some(Product::Rds) => ApiError::new(
            400,
            "InvalidConcurrentOperate",
            "Concurrent operation is detected.",
        ),
        Some(Product::Polardb) => ApiError::new(
            400,
            "LockTimeout",
            "The request processing has failed due to lock timeout.",
        ),
        Some(Product::Kvstore) => {
            ApiError::new(403, "ServerBusy", "server busy now, please retry later.")
        }
        _ => ApiError::new(
            400,
            "InvalidOperation.Conflict",
            "Specific operation may conflicts with other operations, please retry later.",
        ),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a handler sees besides the transaction.
pub struct Ctx<'a> {
    pub cloud: &'a Cloud,
    pub product: Product,
    pub now_ms: i64,
    pub params: &'a Params,
}

impl Ctx<'_> {
    /// The request's RegionId, or the default region.
    pub fn region(&self) -> &str {
        self.params.str("RegionId").unwrap_or(DEFAULT_REGION)
    }
    pub fn id(&self, prefix: &str) -> String {
        self.cloud.ids.id(prefix)
    }
}

pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// The store kind of remembered answers to calls made with a ClientToken.
const CLIENT_TOKEN_KIND: &str = "client_token";

type Handler = fn(&Ctx<'_>, &mut dyn Tx) -> Result<Value>;

impl Cloud {
    pub fn new(store: Store, clock: Arc<Clock>, ids: Arc<IdGen>, account_id: String) -> Self {
        let mut cloud = Cloud {
            store,
            clock,
            ids,
            account_id,
            timing: Timing::default(),
            quotas: Quotas::default(),
            handlers: HashMap::new(),
        };
        vpc::register(&mut cloud);
        ecs::register(&mut cloud);
        rds::register(&mut cloud);
        ess::register(&mut cloud);
        dbs::register(&mut cloud);
        oos::register(&mut cloud);
        cloud
    }

    fn add(&mut self, family: Family, action: &'static str, handler: Handler) {
        self.handlers.insert((family, action), handler);
    }

    /// Every (product version, action) this build emulates.
    pub fn emulated_actions(&self) -> Vec<(Family, &'static str)> {
        let mut v: Vec<_> = self.handlers.keys().copied().collect();
        v.sort_by_key(|(f, a)| (format!("{f:?}"), *a));
        v
    }

    /// Runs one action: looks it up, validates the parameters against the official metadata, runs
    /// the handler in one transaction, and shapes the response for the product version.
    pub fn dispatch(
        &self,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        self.store
            .transact(|tx| {
                // Read in the transaction: a virtual clock shared by several nodes is a stored row.
                let now_ms = self.clock.now_in(tx).map_err(Error::Store)?;
                self.run_action(tx, now_ms, product, action, params)
                    .map_err(Error::Api)
            })
            .map_err(|e| e.into_api_of(Some(product), action))
    }

    /// Runs one action inside an existing transaction (the OOS executor's API calls), under a
    /// savepoint, so a refusal changes nothing and the caller's transaction goes on.
    pub fn dispatch_in(
        &self,
        tx: &mut dyn Tx,
        now_ms: i64,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let store = |e: StoreError| {
            tracing::error!(action, "store error: {e}");
            ApiError::internal()
        };
        tx.savepoint("dispatch_in").map_err(store)?;
        match self.run_action(tx, now_ms, product, action, params) {
            Ok(v) => {
                tx.release("dispatch_in").map_err(store)?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback_to("dispatch_in").map_err(store)?;
                Err(e)
            }
        }
    }

    fn run_action(
        &self,
        tx: &mut dyn Tx,
        now_ms: i64,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let meta = product
            .action(action)
            .ok_or_else(ApiError::action_not_found)?;
        let handler = family(product)
            .and_then(|f| self.handlers.get(&(f, action)))
            .ok_or_else(|| ApiError::unsupported_operation(action))?;
        meta.validate(params)?;
        // Idempotence (ClientToken, where the action's metadata has it): a retry of a call that
        // already succeeded answers what the first call answered and changes nothing. The answer is
        // stored in the same transaction as the change, so a client that lost the answer (a crash,
        // a dropped connection) can retry safely.
        let token = params
            .str("ClientToken")
            .filter(|t| !t.is_empty())
            .filter(|_| meta.parameters.iter().any(|m| m.name == "ClientToken"))
            .map(|t| format!("{}/{action}/{t}", product.version()));
        let store = |e: StoreError| {
            tracing::error!(action, "store error: {e}");
            ApiError::internal()
        };
        // What the token stands for: the action's own parameters (not the signing ones), sorted.
        let request: Vec<(&str, &str)> = if token.is_some() {
            let mut v: Vec<(&str, &str)> = params
                .iter()
                .filter(|(k, _)| {
                    let head = k.split('.').next().unwrap_or(k);
                    meta.parameters.iter().any(|m| m.name == head)
                })
                .collect();
            v.sort_unstable();
            v
        } else {
            Vec::new()
        };
        if let Some(key) = &token {
            if let Some(doc) = tx.get_doc(CLIENT_TOKEN_KIND, key).map_err(store)? {
                let mut saved: Value = serde_json::from_str(&doc).map_err(|e| store(e.into()))?;
                let same = saved.get("Request").is_none_or(|r| *r == json!(request));
                if !same {
                    return Err(ApiError::new(
                        400,
                        "IdempotentParameterMismatch",
                        "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.",
                    ));
                }
                return Ok(saved.get_mut("Response").map(Value::take).unwrap_or(saved));
            }
        }
        let ctx = Ctx {
            cloud: self,
            product,
            now_ms,
            params,
        };
        let mut body = handler(&ctx, tx).map_err(|e| e.into_api(action))?;
        esl_wire::shape::drop_nulls(&mut body);
        esl_wire::shape::conform(&mut body, &meta.response, product.wraps_lists());
        if let Some(key) = token {
            tx.put_doc(&esl_store::Record {
                kind: CLIENT_TOKEN_KIND,
                id: key,
                region: ctx.region().to_string(),
                parent: None,
                name: None,
                doc: json!({"Request": request, "Response": body}).to_string(),
            })
            .map_err(store)?;
        }
        Ok(body)
    }
}

#[cfg(test)]
mod conflict_tests {
    use super::*;
    use esl_engine::ClockMode;
    use esl_store::Backend;

    /// A backend whose every transaction has used up its retries, as PostgreSQL's does after
    /// losing to concurrent writers MAX_ATTEMPTS times.
    struct AlwaysConflicting;

    impl Backend for AlwaysConflicting {
        fn transact(
            &self,
            _f: &mut dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError>,
        ) -> Result<(), StoreError> {
            Err(StoreError::Conflict { attempts: 30 })
        }
    }

    #[test]
    fn exhausted_retries_answer_the_products_conflict_error_never_a_500() {
        let cloud = Cloud::new(
            Store::new(AlwaysConflicting),
            Arc::new(Clock::new(ClockMode::Virtual, 1_000_000)),
            Arc::new(IdGen::new(Some(1))),
            "1234567890123456".into(),
        );
        let region = Params::from_pairs([("RegionId", "cn-hangzhou")]);
        for (product, action, params, status, code) in [
            (
                Product::Ess2022,
                "DescribeScalingGroups",
                region.clone(),
                400,
                "InvalidOperation.Conflict",
            ),
            (
                Product::Ess2014,
                "DescribeScalingGroups",
                region.clone(),
                400,
                "InvalidOperation.Conflict",
            ),
            (
                Product::Vpc,
                "CreateVpc",
                Params::from_pairs([("RegionId", "cn-hangzhou"), ("CidrBlock", "10.0.0.0/16")]),
                409,
                "OperationConflict",
            ),
            (
                Product::Ecs,
                "DescribeSecurityGroups",
                region.clone(),
                403,
                "OperationConflict",
            ),
            (
                Product::Rds,
                "DescribeDBInstances",
                region.clone(),
                400,
                "InvalidConcurrentOperate",
            ),
            (
                Product::Oos,
                "ListExecutions",
                region.clone(),
                400,
                "InvalidOperation.Conflict",
            ),
        ] {
            let e = cloud.dispatch(product, action, &params).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (status, code),
                "{product:?} {action}"
            );
            assert!(e.status < 500);
        }
        // Through `into_api` (no product known), still the conflict error.
        let e = Error::Store(StoreError::Conflict { attempts: 30 }).into_api("x");
        assert_eq!(
            (e.status, e.code.as_ref()),
            (400, "InvalidOperation.Conflict")
        );
    }
}
