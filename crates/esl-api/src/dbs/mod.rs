//! The ApsaraDB products the OOS lifecycle templates write: PolarDB, MongoDB (Dds), AnalyticDB for
//! MySQL (adb), AnalyticDB for PostgreSQL (gpdb) and Redis (R-kvstore), on one shared whitelist
//! model (esl-domain `database`).

use crate::Cloud;

pub fn register(_cloud: &mut Cloud) {}
