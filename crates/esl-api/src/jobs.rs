//! The engine's job steps: each job kind names one step of emulated work that comes due later
//! (an activity ending, a database becoming Running or going away).

use std::sync::Arc;

use esl_engine::JobRunner;
use esl_store::{Job, Tx};
use esl_wire::Params;
use serde_json::Value;

use crate::ess::{activity, health, hooks, scheduled};
use crate::{rds, Cloud};

pub struct Jobs {
    pub cloud: Arc<Cloud>,
}

fn field<'a>(payload: &'a Value, name: &str) -> Result<&'a str, String> {
    payload
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("job payload lacks {name}"))
}

impl JobRunner for Jobs {
    fn run(&self, tx: &mut dyn Tx, job: &Job, now_ms: i64) -> Result<(), String> {
        let payload: Value = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
        let params = Params::default();
        let ctx = activity::job_ctx(&self.cloud, &params, now_ms);
        let result = match job.kind.as_str() {
            activity::ACTIVITY_DONE => activity::finish(&ctx, tx, field(&payload, "activity")?),
            rds::DB_READY => rds::ready(tx, field(&payload, "db")?),
            rds::DB_GONE => rds::gone(tx, field(&payload, "db")?),
            rds::DB_NET_CHANGED => rds::net_changed(
                tx,
                field(&payload, "db")?,
                field(&payload, "vpc")?,
                field(&payload, "vsw")?,
            ),
            crate::dbs::DB_NET_CHANGED => crate::dbs::net_changed(
                tx,
                field(&payload, "db")?,
                field(&payload, "vpc")?,
                field(&payload, "vsw")?,
                field(&payload, "zone")?,
            ),
            crate::dbs::DB_READY => crate::dbs::ready(tx, field(&payload, "db")?),
            crate::dbs::DB_GONE => crate::dbs::gone(tx, field(&payload, "db")?),
            crate::ecs::SETTLE => crate::ecs::settle(tx, field(&payload, "instance")?),
            hooks::TIMEOUT => {
                let generation = payload
                    .get("generation")
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as u32;
                hooks::timeout(&ctx, tx, field(&payload, "token")?, generation)
            }
            crate::oos::RUN => crate::oos::run(&ctx, tx, field(&payload, "execution")?),
            hooks::CONVERGE => hooks::converge_job(&ctx, tx, field(&payload, "group")?),
            health::HEALTH_CHECK => health::check(&ctx, tx, field(&payload, "group")?),
            scheduled::FIRE => {
                let generation = payload
                    .get("generation")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                scheduled::fire(&ctx, tx, field(&payload, "task")?, generation, job.due_ms)
            }
            other => return Err(format!("unknown job kind {other}")),
        };
        result.map_err(|e| format!("{e:?}"))
    }
}
