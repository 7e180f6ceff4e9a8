//! The ApsaraDB databases other than RDS (PolarDB, MongoDB, AnalyticDB MySQL/PostgreSQL, Redis):
//! one stored model and each engine's whitelist rules as data.
