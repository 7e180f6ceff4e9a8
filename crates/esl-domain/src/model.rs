//! The stored resources. Every state is an enum; wire strings appear only where a state is
//! rendered (`as_str`). Times are unix milliseconds of the emulated clock.

use esl_store::Resource;
use serde::{Deserialize, Serialize};

use crate::whitelist::IpGroup;

macro_rules! resource {
    ($t:ty, $kind:literal, |$s:ident| parent: $parent:expr, name: $name:expr) => {
        impl Resource for $t {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn region(&self) -> &str {
                &self.region
            }
            fn parent(&self) -> Option<&str> {
                #[allow(unused_variables)]
                let $s = self;
                $parent
            }
            fn name(&self) -> Option<&str> {
                #[allow(unused_variables)]
                let $s = self;
                $name
            }
        }
    };
}

macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(EcsStatus { Pending => "Pending", Starting => "Starting", Running => "Running", Stopping => "Stopping", Stopped => "Stopped" });
wire_enum!(DbStatus { Creating => "Creating", Running => "Running", Deleting => "Deleting", NetTypeChanging => "DBInstanceNetTypeChanging" });
wire_enum!(GroupState { Active => "Active", Inactive => "Inactive", Deleting => "Deleting" });
wire_enum!(ConfigState { Active => "Active", Inactive => "Inactive" });
wire_enum!(LifecycleState {
    Pending => "Pending",
    PendingWait => "Pending:Wait",
    InService => "InService",
    Standby => "Standby",
    Protected => "Protected",
    RemovingWait => "Removing:Wait",
    Removing => "Removing",
    Stopped => "Stopped",
});
wire_enum!(CreationType { AutoCreated => "AutoCreated", Attached => "Attached", Managed => "Managed" });
wire_enum!(ActivityStatus { InProgress => "InProgress", Successful => "Successful", Warning => "Warning", Failed => "Failed", Rejected => "Rejected" });
wire_enum!(DbKind { Rds => "RDS", Redis => "Redis", MongoDb => "MongoDB" });
wire_enum!(AttachMode { SecurityIp => "SecurityIp", SecurityGroup => "SecurityGroup" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub region: String,
    pub name: String,
    pub description: String,
    pub cidr: String,
    pub vrouter_id: String,
    pub route_table_id: String,
    pub created_ms: i64,
}
resource!(Vpc, "vpc", |_s| parent: None, name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VSwitch {
    pub id: String,
    pub region: String,
    pub vpc_id: String,
    pub zone_id: String,
    pub cidr: String,
    pub name: String,
    pub description: String,
    pub created_ms: i64,
    /// Where the next private-IP search starts (moves on, so released addresses rest a while).
    pub ip_cursor: u32,
}
resource!(VSwitch, "vswitch", |s| parent: Some(s.vpc_id.as_str()), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    pub rule_id: String,
    pub direction: String,
    pub ip_protocol: String,
    pub port_range: String,
    pub source_cidr_ip: String,
    pub source_group_id: String,
    pub dest_cidr_ip: String,
    /// Egress rules: the destination security group.
    #[serde(default)]
    pub dest_group_id: String,
    pub policy: String,
    pub priority: i64,
    pub nic_type: String,
    pub description: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub region: String,
    pub vpc_id: Option<String>,
    pub name: String,
    pub description: String,
    pub group_type: String,
    pub inner_access_policy: String,
    pub rules: Vec<SecurityGroupRule>,
    pub created_ms: i64,
}
resource!(SecurityGroup, "security_group", |s| parent: s.vpc_id.as_deref(), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsInstance {
    pub id: String,
    pub region: String,
    pub zone_id: String,
    pub vpc_id: Option<String>,
    pub vswitch_id: Option<String>,
    pub private_ip: Option<String>,
    pub status: EcsStatus,
    pub instance_type: String,
    pub image_id: String,
    pub security_group_ids: Vec<String>,
    pub name: String,
    pub host_name: String,
    pub created_ms: i64,
    pub scaling_group_id: Option<String>,
    /// Tags (key, value): the user's, and those its scaling group propagates.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}
resource!(EcsInstance, "ecs_instance", |s| parent: s.vswitch_id.as_deref(), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RdsInstance {
    pub id: String,
    pub region: String,
    pub zone_id: String,
    pub engine: String,
    pub engine_version: String,
    pub class: String,
    pub storage_gb: i64,
    pub storage_type: String,
    pub net_type: String,
    pub network_type: String,
    pub vpc_id: Option<String>,
    pub vswitch_id: Option<String>,
    pub description: String,
    pub pay_type: String,
    pub category: String,
    pub status: DbStatus,
    pub port: u16,
    pub created_ms: i64,
    pub ip_groups: Vec<IpGroup>,
    /// ECS security groups bound to the instance (ModifySecurityGroupConfiguration; at most 10).
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// The endpoint's host once SwitchDBInstanceNetType gave it a prefix of the user's (None: the
    /// instance id's default host).
    #[serde(default)]
    pub connection_host: Option<String>,
}
resource!(RdsInstance, "rds_instance", |_s| parent: None, name: None);

impl RdsInstance {
    /// Replaces the bound security groups (overwrite; at most `MAX_SECURITY_GROUPS`; Running only).
    pub fn set_security_groups(&mut self, ids: Vec<String>) -> Result<(), crate::Fault> {
        if ids.len() > crate::database::MAX_SECURITY_GROUPS {
            return Err(crate::fault::rds_security_group_quota());
        }
        if self.status != DbStatus::Running {
            return Err(crate::fault::db_instance_state());
        }
        self.security_group_ids = ids;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbAttachment {
    pub db_id: String,
    pub kind: DbKind,
    pub mode: AttachMode,
    /// AttachMode=SecurityGroup: the security groups ESS bound to the database.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingGroup {
    pub id: String,
    pub region: String,
    pub name: String,
    pub min_size: i64,
    pub max_size: i64,
    pub desired_capacity: Option<i64>,
    pub default_cooldown: i64,
    pub vswitch_ids: Vec<String>,
    pub vpc_id: Option<String>,
    pub removal_policies: Vec<String>,
    pub db_instances: Vec<DbAttachment>,
    pub load_balancer_ids: Vec<String>,
    pub state: GroupState,
    pub active_config_id: Option<String>,
    pub health_check_types: Vec<String>,
    pub deletion_protection: bool,
    pub multi_az_policy: String,
    pub scaling_policy: String,
    pub group_type: String,
    pub max_instance_lifetime: Option<i64>,
    pub tags: Vec<(String, String, bool)>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The activity in progress, if any (one at a time per group).
    pub running_activity: Option<String>,
    /// Set by DeleteScalingGroup ForceDelete: the group is removed once its instances are gone.
    pub deleting: bool,
}
resource!(ScalingGroup, "scaling_group", |s| parent: None, name: Some(s.name.as_str()));

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingConfiguration {
    pub id: String,
    pub region: String,
    pub group_id: String,
    pub name: String,
    pub image_id: String,
    pub instance_type: Option<String>,
    pub instance_types: Vec<String>,
    pub security_group_id: Option<String>,
    pub security_group_ids: Vec<String>,
    pub state: ConfigState,
    pub created_ms: i64,
    /// Plain request fields echoed back by DescribeScalingConfigurations (wire name -> value).
    pub echo: serde_json::Map<String, serde_json::Value>,
}
resource!(ScalingConfiguration, "scaling_configuration", |s| parent: Some(s.group_id.as_str()), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingRule {
    pub id: String,
    pub region: String,
    pub group_id: String,
    pub name: String,
    pub ari: String,
    pub rule_type: String,
    pub adjustment_type: Option<String>,
    pub adjustment_value: Option<i64>,
    pub cooldown: Option<i64>,
    pub min_adjustment_magnitude: Option<i64>,
    pub created_ms: i64,
}
resource!(ScalingRule, "scaling_rule", |s| parent: Some(s.group_id.as_str()), name: Some(s.ari.as_str()));

wire_enum!(ActivityKind {
    ScaleOut => "ScaleOut",
    ScaleIn => "ScaleIn",
    Attach => "Attach",
    Detach => "Detach",
    Standby => "Standby",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingActivity {
    pub id: String,
    pub region: String,
    pub group_id: String,
    pub kind: ActivityKind,
    pub description: String,
    pub cause: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub progress: i64,
    pub status: ActivityStatus,
    pub status_message: String,
    pub total_capacity: i64,
    pub attached_capacity: i64,
    pub auto_created_capacity: i64,
    pub instance_ids: Vec<String>,
    pub trigger_source_type: String,
    pub trigger_source_id: String,
    pub activity_metadata: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub detail: String,
    /// For a health-check removal: how many instances to add back once it ends.
    #[serde(default)]
    pub replace: i64,
    /// For a removal: whether the instances are released (or only let go), and whether their IPs
    /// leave the whitelists (decided when the activity starts; applied when its wait ends).
    #[serde(default = "yes")]
    pub remove_ips: bool,
    /// The 2022 `LifecycleHookContext` the activity was started with, echoed by Describe.
    #[serde(default)]
    pub lifecycle_hook_context: Option<HookContext>,
    /// Instances the caller named but the activity skipped (IgnoreInvalidInstance=true): the
    /// activity ends Warning instead of Successful.
    #[serde(default)]
    pub skipped: Vec<SkippedInstance>,
    /// RemoveInstances RemovePolicy=recycle: AutoCreated and Entrusted instances are stopped
    /// (Economical Mode) and kept instead of released.
    #[serde(default)]
    pub recycle: bool,
}

/// An instance an activity skipped, and why (a fault code and message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedInstance {
    pub instance_id: String,
    pub code: String,
    pub message: String,
}

/// Which lifecycle hooks a caller asked an activity to bypass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookContext {
    pub disable_lifecycle_hook: bool,
    pub ignored_lifecycle_hook_ids: Vec<String>,
}

fn yes() -> bool {
    true
}
resource!(ScalingActivity, "scaling_activity", |s| parent: Some(s.group_id.as_str()), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingInstance {
    /// The ECS instance id.
    pub id: String,
    pub region: String,
    pub group_id: String,
    pub config_id: Option<String>,
    pub creation_type: CreationType,
    pub state: LifecycleState,
    pub healthy: bool,
    pub entrusted: bool,
    pub activity_id: String,
    pub joined_ms: i64,
    pub weight: i64,
    pub zone_id: String,
    pub private_ip: Option<String>,
    /// Where the private IP is held (released with the instance).
    #[serde(default)]
    pub vswitch_id: Option<String>,
}
resource!(ScalingInstance, "scaling_instance", |s| parent: Some(s.group_id.as_str()), name: None);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledTask {
    pub id: String,
    pub region: String,
    pub name: String,
    pub description: String,
    /// A scaling rule ARI to execute, or none when the task sets the group's sizes.
    pub scheduled_action: Option<String>,
    pub group_id: Option<String>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub desired_capacity: Option<i64>,
    pub launch_ms: i64,
    pub launch_expiration_s: i64,
    pub recurrence_type: Option<String>,
    pub recurrence_value: Option<String>,
    pub recurrence_end_ms: Option<i64>,
    pub enabled: bool,
    /// When it fires next (None once it is done).
    pub next_fire_ms: Option<i64>,
    /// Bumped on every change, so a firing job scheduled before the change is ignored.
    pub generation: u64,
}
resource!(ScheduledTask, "scheduled_task", |s| parent: s.group_id.as_deref(), name: Some(s.name.as_str()));

wire_enum!(Transition { ScaleOut => "SCALE_OUT", ScaleIn => "SCALE_IN" });
wire_enum!(HookResult { Continue => "CONTINUE", Abandon => "ABANDON", Rollback => "ROLLBACK" });
wire_enum!(ActionStatus { Pending => "Pending", Timeout => "Timeout", Completed => "Completed" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleHook {
    pub id: String,
    pub region: String,
    pub group_id: String,
    pub name: String,
    pub transition: Transition,
    pub default_result: HookResult,
    pub heartbeat_timeout_s: i64,
    pub notification_arn: Option<String>,
    pub notification_metadata: Option<String>,
    pub active: bool,
    pub created_ms: i64,
}
resource!(LifecycleHook, "lifecycle_hook", |s| parent: Some(s.group_id.as_str()), name: Some(s.name.as_str()));

/// One hook's hold on one activity's instances; its id is the LifecycleActionToken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleAction {
    pub id: String,
    pub region: String,
    pub hook_id: String,
    pub group_id: String,
    pub activity_id: String,
    pub transition: Transition,
    pub instance_ids: Vec<String>,
    pub status: ActionStatus,
    pub result: Option<HookResult>,
    pub default_result: HookResult,
    pub started_ms: i64,
    pub deadline_ms: i64,
    pub heartbeats: u32,
    /// Bumped by each heartbeat, so an older timeout job is ignored.
    pub generation: u32,
    pub execution_id: Option<String>,
}
resource!(LifecycleAction, "lifecycle_action", |s| parent: Some(s.activity_id.as_str()), name: Some(s.hook_id.as_str()));

/// An OOS template of the account (public ACS templates are built in, not stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosTemplate {
    pub id: String,
    pub region: String,
    pub name: String,
    pub content: String,
    pub format: String,
    pub version: u32,
    pub version_name: Option<String>,
    pub description: String,
    pub hash: String,
    pub tags: serde_json::Map<String, serde_json::Value>,
    pub created_ms: i64,
    pub updated_ms: i64,
}
resource!(OosTemplate, "oos_template", |s| parent: None, name: Some(s.name.as_str()));

wire_enum!(ExecutionStatus { Started => "Started", Running => "Running", Waiting => "Waiting", Success => "Success", Failed => "Failed", Cancelled => "Cancelled" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosExecution {
    pub id: String,
    pub region: String,
    pub template_name: String,
    pub template_id: String,
    pub template_version: String,
    pub content: String,
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub mode: String,
    pub status: ExecutionStatus,
    pub status_message: String,
    pub outputs: serde_json::Map<String, serde_json::Value>,
    pub parent_id: Option<String>,
    pub description: String,
    pub tags: serde_json::Map<String, serde_json::Value>,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub updated_ms: i64,
    /// The interpreter's state (esl_oos::ExecState as JSON).
    pub state: serde_json::Value,
    pub current_task: Option<(String, String)>,
}
resource!(OosExecution, "oos_execution", |s| parent: s.parent_id.as_deref(), name: Some(s.template_name.as_str()));

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosTaskExecution {
    pub id: String,
    pub region: String,
    pub execution_id: String,
    pub name: String,
    pub action: String,
    pub status: String,
    pub message: String,
    pub properties: serde_json::Value,
    pub outputs: serde_json::Map<String, serde_json::Value>,
    pub loop_item: Option<serde_json::Value>,
    pub child_execution_id: Option<String>,
    pub started_ms: i64,
    pub ended_ms: i64,
}
resource!(OosTaskExecution, "oos_task_execution", |s| parent: Some(s.execution_id.as_str()), name: None);
