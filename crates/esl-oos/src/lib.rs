//! The OOS (Operation Orchestration Service) template language, sans IO: parsing JSON and YAML
//! templates, resolving parameters, `{{ }}` expressions and `Fn::` functions, jq selectors (through
//! the jaq crates), and the task interpreter. The interpreter calls cloud APIs, reads other
//! templates and records task executions through the `Host` trait, so it never knows HTTP or storage.

pub mod expr;
pub mod interp;
pub mod jq;
pub mod template;

pub use interp::{run, ExecState, Host, Outcome, TaskRecord};
pub use template::{parse, Template, TemplateError};
