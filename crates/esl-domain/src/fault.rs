//! The error catalogue: every error code ess-local answers with, its HTTP status and message, in one
//! place. Messages follow the real services' texts (see shared/spec).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

fn f(status: u16, code: &'static str, message: impl Into<String>) -> Fault {
    Fault {
        status,
        code: Cow::Borrowed(code),
        message: message.into(),
    }
}

pub fn missing_parameter(name: &str) -> Fault {
    f(400, "MissingParameter", format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."))
}
pub fn invalid_parameter(name: &str) -> Fault {
    f(
        400,
        "InvalidParameter",
        format!("The specified value of parameter \"{name}\" is not valid."),
    )
}
pub fn conflict(a: &str, b: &str) -> Fault {
    f(
        400,
        "InvalidParameter.Conflict",
        format!("The value of parameter {a} and parameter {b} are conflict."),
    )
}

// ---- VPC / ECS ----
pub fn vpc_not_found() -> Fault {
    f(
        404,
        "InvalidVpcId.NotFound",
        "Specified VPC does not exist.",
    )
}
pub fn vswitch_not_found() -> Fault {
    f(
        404,
        "InvalidVSwitchId.NotFound",
        "Specified virtual switch does not exist.",
    )
}
pub fn invalid_cidr() -> Fault {
    f(
        400,
        "InvalidCidrBlock.Malformed",
        "Specified CIDR block is not valid.",
    )
}
/// A vSwitch CIDR outside its VPC's: the metadata of CreateVSwitch lists no dedicated code, so
/// it is the documented InvalidCidrBlock.Malformed.
pub fn vswitch_cidr_not_in_vpc() -> Fault {
    invalid_cidr()
}
pub fn vswitch_cidr_overlap() -> Fault {
    f(
        400,
        "InvalidCidrBlock.Overlapped",
        "Specified CIDR block overlapped with other subnets.",
    )
}
/// A vSwitch mask outside 16..=29: InvalidCidrBlock.Malformed, as documented.
pub fn vswitch_mask() -> Fault {
    invalid_cidr()
}
pub fn vpc_has_vswitches() -> Fault {
    f(
        400,
        "DependencyViolation.VSwitch",
        "Specified object has dependent resources",
    )
}
pub fn vpc_has_security_groups() -> Fault {
    f(
        400,
        "DependencyViolation.SecurityGroup",
        "Specified object has dependent resources SecurityGroup.",
    )
}
pub fn vswitch_has_dependents() -> Fault {
    f(
        400,
        "DependencyViolation",
        "Resources deployed in the vSwitch have not been deleted.",
    )
}
pub fn invalid_zone(zone: &str) -> Fault {
    f(
        400,
        "InvalidZoneId.NotFound",
        format!("The specified zone \"{zone}\" does not exist in this region."),
    )
}
pub fn security_group_not_found() -> Fault {
    f(
        404,
        "InvalidSecurityGroupId.NotFound",
        "The specified SecurityGroupId does not exist.",
    )
}
pub fn security_group_in_use() -> Fault {
    f(
        403,
        "DependencyViolation",
        "There is still instance(s) in the specified security group.",
    )
}
pub fn security_group_name_malformed() -> Fault {
    f(
        400,
        "InvalidSecurityGroupName.Malformed",
        "Specified security group name is not valid.",
    )
}
/// An IpProtocol that is not TCP, UDP, ICMP, ICMPv6, GRE or ALL.
pub fn ip_protocol_malformed() -> Fault {
    f(
        400,
        "InvalidIpProtocol.ValueNotSupported",
        "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All.",
    )
}
pub fn port_range_malformed() -> Fault {
    f(
        400,
        "InvalidIpPortRange.Malformed",
        "The specified parameter PortRange is not valid.",
    )
}
pub fn source_cidr_malformed() -> Fault {
    f(
        400,
        "InvalidSourceCidrIp.Malformed",
        "The specified parameter SourceCidrIp is not valid.",
    )
}
pub fn dest_cidr_malformed() -> Fault {
    f(
        400,
        "InvalidDestCidrIp.Malformed",
        "The specified parameter DestCidrIp is not valid.",
    )
}
/// `at` names the rule (`Permissions.1`, or `the request` for the legacy top-level parameters)
/// [unverified: the metadata's text has a bare %s there].
pub fn missing_source(at: &str) -> Fault {
    f(400, "MissingParameter.Source", format!("One of the parameters SourceCidrIp, Ipv6SourceCidrIp, SourceGroupId or SourcePrefixListId in {at} must be specified."))
}
pub fn missing_dest(at: &str) -> Fault {
    f(400, "MissingParameter.Dest", format!("One of the parameters DestCidrIp, Ipv6DestCidrIp, DestGroupId or DestPrefixListId in {at} must be specified."))
}
pub fn source_equals_dest_cidr() -> Fault {
    f(
        400,
        "InvalidParamter.Conflict",
        "The specified SourceCidrIp should be different from the DestCidrIp.",
    )
}
pub fn policy_malformed() -> Fault {
    f(
        400,
        "InvalidPolicy.Malformed",
        "The specified parameter Policy is not valid.",
    )
}
pub fn priority_malformed() -> Fault {
    f(
        400,
        "InvalidPriority.Malformed",
        "The parameter Priority is invalid.",
    )
}
pub fn nic_type_not_supported() -> Fault {
    f(
        400,
        "InvalidNicType.ValueNotSupported",
        "The specified NicType does not exist.",
    )
}
/// A classic security group's rule that references a group must be on the intranet NIC.
pub fn group_rule_nic_type(egress: bool) -> Fault {
    let code = if egress {
        "InvalidDestGroupId.Mismatch"
    } else {
        "InvalidSourceGroupId.Mismatch"
    };
    f(
        403,
        code,
        "NicType is required or NicType expects intranet.",
    )
}
/// Permissions.N together with the deprecated top-level rule parameters or SecurityGroupRuleId.N.
pub fn permissions_conflict() -> Fault {
    f(
        400,
        "InvalidParam.Permissions",
        "The specified parameter Permissions cannot coexist with other parameters.",
    )
}
pub fn duplicate_permissions() -> Fault {
    f(
        400,
        "InvalidParam.DuplicatePermissions",
        "There are duplicate permissions in the specified parameter Permissions.",
    )
}
pub fn source_group_not_found() -> Fault {
    f(
        404,
        "InvalidSourceGroupId.NotFound",
        "The SourceGroupId provided does not exist in our records.",
    )
}
pub fn dest_group_not_found() -> Fault {
    f(
        404,
        "InvalidDestGroupId.NotFound",
        "The DestGroupId provided does not exist in our records.",
    )
}
pub fn source_group_vpc_mismatch() -> Fault {
    f(
        400,
        "InvalidSourceGroupId.Mismatch",
        "Specified security group and source group are not in the same VPC.",
    )
}
pub fn dest_group_vpc_mismatch() -> Fault {
    f(
        400,
        "InvalidDestGroupId.Mismatch",
        "Specified security group and destination group are not in the same VPC.",
    )
}
/// One group classic and the other VPC. The metadata lists InvalidNetworkType.Mismatch for ingress
/// but only InvalidNetworkType.Conflict (same text) for egress.
pub fn group_network_type_mismatch(egress: bool) -> Fault {
    let code = if egress {
        "InvalidNetworkType.Conflict"
    } else {
        "InvalidNetworkType.Mismatch"
    };
    f(403, code, "The specified SecurityGroup network type should be same with SourceGroup network type (vpc or classic).")
}
/// An ingress rule whose source group is the group itself.
pub fn source_group_is_self() -> Fault {
    f(
        403,
        "InvalidParamter.Conflict",
        "The specified SecurityGroupId should be different from the SourceGroupId.",
    )
}
/// An egress rule whose destination group is the group itself.
pub fn dest_group_is_self() -> Fault {
    f(
        403,
        "InvalidSecurityGroup.IsSame",
        "The authorized SecurityGroupId should be different from the DestGroupId.",
    )
}
/// An enterprise group's rule that references a group or drops.
pub fn enterprise_rule_denied() -> Fault {
    f(400, "InvalidGroupParameter.OperationDenied", "The attributes Policy, SourceGroupId, DestGroupId of enterprise level security groups are not allowed to be set or modified.")
}
/// A basic group's rule that references an enterprise group.
pub fn enterprise_group_reference() -> Fault {
    f(
        400,
        "InvalidGroupAuthParameter.OperationDenied",
        "The security group can not authorize to enterprise level security group.",
    )
}
pub fn group_rule_limit() -> Fault {
    f(400, "AuthorizedGroupRule.LimitExceed", "You have reached the limit on the number of group authorization rules that you can add to a security group.When authorization object of rule is security group, the limit is 20.")
}
pub fn authorization_limit() -> Fault {
    f(
        403,
        "AuthorizationLimitExceed",
        "The limit of authorization records in the security group reaches.",
    )
}
pub fn rule_id_repeated() -> Fault {
    f(
        400,
        "InvalidParam.SecurityGroupRuleIdRepeated",
        "The specified parameter SecurityGroupRuleId is repeated.",
    )
}
pub fn rule_id_not_found() -> Fault {
    f(
        404,
        "InvalidSecurityGroupRuleId.NotFound",
        "The specified SecurityGroupRuleId is not exists.",
    )
}
pub fn inner_access_policy_malformed() -> Fault {
    f(
        400,
        "InvalidPolicy.Malformed",
        "The Policy is invalid. Only 'Accept' and 'Drop' are supported. Ignore case.",
    )
}
/// 404 as the metadata lists it.
pub fn enterprise_inner_access_policy() -> Fault {
    f(
        404,
        "InvalidParameter.InnerAccessPolicy",
        "The InnerAccessPolicy attribute of enterprise level security group can't be modified.",
    )
}
pub fn instance_sg_vpc_mismatch() -> Fault {
    f(
        400,
        "InvalidInstanceId.Mismatch",
        "Specified instance and security group are not in the same VPC.",
    )
}
pub fn instance_already_in_group() -> Fault {
    f(
        403,
        "InvalidInstanceId.AlreadyExists",
        "The specified instance already exists in the specified security group.",
    )
}
pub fn instance_group_types_mixed() -> Fault {
    f(
        400,
        "InvalidOperation.MultiGroupType",
        "The specified instance can't join different types of security group.",
    )
}
pub fn instance_group_limit() -> Fault {
    f(
        400,
        "InstanceSecurityGroupLimitExceeded",
        "Exceeding the allowed amount of security groups that an instance can be in.",
    )
}
pub fn group_instance_limit() -> Fault {
    f(
        403,
        "SecurityGroupInstanceLimitExceeded",
        "The maximum number of instances in a security group is exceeded.",
    )
}
pub fn instance_being_created() -> Fault {
    f(
        403,
        "Forbidden.InstanceIsBeingCreated",
        "The specified instance is being created.",
    )
}
/// [unverified] text: the metadata names no code for a group other groups' rules reference
/// (DeleteSecurityGroup's description only says the call fails).
pub fn security_group_referenced() -> Fault {
    f(
        403,
        "DependencyViolation",
        "There is other security group(s) authorized to the specified security group.",
    )
}
pub fn instance_not_in_group() -> Fault {
    f(
        403,
        "InstanceNotInSecurityGroup",
        "The instance not in the group.",
    )
}
pub fn instance_last_group() -> Fault {
    f(
        403,
        "InstanceLastSecurityGroup",
        "The specified security group is the last security group for the instance.",
    )
}
/// [unverified] ess-local has no elastic network interfaces; the metadata's text is a bare %s.
pub fn eni_not_found() -> Fault {
    f(
        404,
        "InvalidEniId.NotFound",
        "The specified NetworkInterfaceId does not exist.",
    )
}
/// [unverified] text: the metadata's is a bare %s.
pub fn eni_and_instance_conflict() -> Fault {
    f(
        403,
        "InvalidParam.EniIdAndInstanceId.Conflict",
        "The parameters InstanceId and NetworkInterfaceId cannot be specified at the same time.",
    )
}
pub fn instance_not_found() -> Fault {
    f(
        404,
        "InvalidInstanceId.NotFound",
        "The specified InstanceId does not exist.",
    )
}
pub fn incorrect_instance_status() -> Fault {
    f(
        403,
        "IncorrectInstanceStatus",
        "The current status of the resource does not support this operation.",
    )
}
pub fn security_group_network_mismatch() -> Fault {
    f(
        400,
        "InvalidSecurityGroupId.VPCMismatch",
        "The specified security group and the specified virtual switch are not in the same VPC.",
    )
}
pub fn vswitch_no_free_ip() -> Fault {
    f(
        400,
        "InvalidVSwitchId.IpNotEnough",
        "The specified VSwitch has no available private IP addresses.",
    )
}

// ---- RDS ----
pub fn db_instance_not_found() -> Fault {
    f(
        404,
        "InvalidDBInstanceId.NotFound",
        "The specified DBInstanceId does not exist.",
    )
}
pub fn db_instance_state() -> Fault {
    f(
        403,
        "IncorrectDBInstanceState",
        "Current DB instance state does not support this operation.",
    )
}
pub fn security_ip_format() -> Fault {
    f(
        400,
        "SecurityIPList.Format",
        "Specified SecurityIPList is not valid.",
    )
}
pub fn security_ip_duplicate() -> Fault {
    f(
        400,
        "InvalidSecurityIPList.Duplicate",
        "Specified security IP list is not valid: Duplicate IP address in the list.",
    )
}
pub fn security_ip_quota() -> Fault {
    f(400, "InvalidSecurityIPList.QuotaExceeded", "Specified security IP list is not valid: Exceeding the allowed amount of IP address in the list.")
}
pub fn ip_array_name_format() -> Fault {
    f(
        400,
        "InvalidDBInstanceIPArrayName.Format",
        "Specified DBInstanceIPArrayName is not valid.",
    )
}
pub fn ip_array_attribute_format() -> Fault {
    f(
        400,
        "InvalidIPArrayAttribute.Format",
        "The format of the IP attribute is invalid.",
    )
}
pub fn ip_array_not_found() -> Fault {
    f(
        404,
        "InvalidDBInstanceIPArrayName.NotFound",
        "Specified DBInstanceIPArrayName does not exist.",
    )
}
pub fn whitelist_last_ip() -> Fault {
    f(
        400,
        "InvalidSecurityIPList.Empty",
        "You must retain at least one IP address in the whitelist.",
    )
}
pub fn engine_invalid() -> Fault {
    f(
        400,
        "InvalidEngine.Malformed",
        "Specified engine is not valid.",
    )
}

// ---- Database security groups and network type (RDS, MongoDB, Redis) ----
// Codes and texts from each product's api-meta errorCodes; [unverified] where none is listed.

/// RDS ModifySecurityGroupConfiguration: more than 10 security groups.
pub fn rds_security_group_quota() -> Fault {
    f(
        400,
        "AssociatedEcsSecurityGroupIdQuotaExceed",
        "Security groups quota exceeded",
    )
}
/// MongoDB and Redis ModifySecurityGroupConfiguration: more than 10 security groups.
pub fn dds_security_group_quota() -> Fault {
    f(
        403,
        "AssociatedEcsSecurityGroupId.QuotaExceed",
        "SecurityGroupIdQuotaExceeded exceeding the allowed amount of SecurityGroupId.",
    )
}
/// MongoDB and Redis: a security group that does not exist in the region.
pub fn dds_security_group_invalid() -> Fault {
    f(
        400,
        "InvalidParam",
        "Specified ecs security group id is not valid.",
    )
}
/// MongoDB ModifySecurityGroupConfiguration on an instance that is not Running.
pub fn dds_security_group_status() -> Fault {
    f(
        400,
        "InstanceStatusInvalid",
        "Instance status is not valid.",
    )
}
/// MongoDB: a VPC security group of another VPC than the instance's.
pub fn dds_security_group_vpc() -> Fault {
    f(
        400,
        "InvalidVpc.NotSupported",
        "the Different vpc not supported.",
    )
}
/// ModifyDBInstanceNetworkType to the network type the instance already has (MongoDB: [unverified]).
pub fn net_type_exists() -> Fault {
    f(
        400,
        "NetTypeExists",
        "Specified network type already exists.",
    )
}
/// RDS: an operation the instance's network type does not allow (VPC to Classic, or
/// SwitchDBInstanceNetType on a VPC instance).
pub fn rds_net_type_denied() -> Fault {
    f(
        400,
        "OperationDenied.DBInstanceNetType",
        "Operation is denied by the network type of current database instance.",
    )
}
/// RDS ModifyDBInstanceNetworkType on an instance that is not Running.
pub fn rds_net_change_status() -> Fault {
    f(
        400,
        "OperationDenied.DBInstanceStatus",
        "Operation is denied by the current database instance status.",
    )
}
pub fn rds_network_type_unsupported() -> Fault {
    f(
        400,
        "InvalidInstanceNetworkType.ValueNotSupported",
        "The specified parameter \"InstanceNetworkType\" is not valid.",
    )
}
/// A vSwitch that exists but not in the named VPC (RDS's text).
pub fn rds_vswitch_not_in_vpc() -> Fault {
    f(
        400,
        "InvalidVSwitchId.NotFound",
        "Specified virtual switch is not found in specified VPC.",
    )
}
pub fn rds_connection_prefix_malformed() -> Fault {
    f(
        400,
        "InvalidConnectionString.Malformed",
        "The specified parameter ConnectionStringPrefix is not valid.",
    )
}
pub fn rds_port_malformed() -> Fault {
    f(400, "InvalidPort.Malformed", "Specified port is not valid.")
}
pub fn rds_connection_string_duplicate() -> Fault {
    f(
        404,
        "InvalidConnectionString.Duplicate",
        "Specified connection string already exists in the Aliyun RDS.",
    )
}
/// ModifySecurityIps WhitelistNetworkType other than MIX, Classic, VPC.
pub fn rds_whitelist_net_type_malformed() -> Fault {
    f(
        400,
        "InvalidWhitelistNetType.Malformed",
        "Specified WhitelistNetType  is not valid.",
    )
}
/// DescribeDBInstanceIPArrayList WhitelistNetworkType filter other than MIX, Classic, VPC.
pub fn rds_whitelist_net_type_format() -> Fault {
    f(
        400,
        "WhitelistNetType.Format",
        "The specified is WhitelistNetType not valid.",
    )
}

// ---- ESS ----
pub fn scaling_group_not_found() -> Fault {
    f(
        404,
        "InvalidScalingGroupId.NotFound",
        "The specified scaling group does not exist.",
    )
}
pub fn scaling_group_status() -> Fault {
    f(
        400,
        "IncorrectScalingGroupStatus",
        "The current status of the specified scaling group does not support this action.",
    )
}
pub fn activity_in_progress() -> Fault {
    f(400, "ScalingActivityInProgress", "You cannot delete a scaling group or launch a new scaling activity while there is a scaling activity in progress for the specified scaling group.")
}
pub fn capacity_max() -> Fault {
    f(
        400,
        "IncorrectCapacity.MaxSize",
        "To attach the instances, the total capacity will be greater than the MaxSize.",
    )
}
pub fn capacity_min() -> Fault {
    f(
        400,
        "IncorrectCapacity.MinSize",
        "To remove the instances, the total capacity will be lesser than the MinSize.",
    )
}
pub fn capacity_no_change() -> Fault {
    f(
        400,
        "IncorrectCapacity.NoChange",
        "To execute the specified scaling rule, the total capacity will not change.",
    )
}
pub fn instance_in_use() -> Fault {
    f(400, "InstanceInUse", "You cannot delete a scaling configuration or scaling group while there is an instance associated with it.")
}
pub fn scaling_instance_not_found(id: &str) -> Fault {
    f(
        404,
        "InvalidInstanceId.NotFound",
        format!("Instance \"{id}\" does not exist."),
    )
}
pub fn scaling_config_not_found() -> Fault {
    f(
        404,
        "InvalidScalingConfigurationId.NotFound",
        "The specified scaling configuration does not exist.",
    )
}
pub fn scaling_config_state() -> Fault {
    f(400, "IncorrectScalingConfigurationLifecycleState", "The current lifecycle state of specified scaling configuration does not support this action.")
}
pub fn missing_active_config() -> Fault {
    f(
        400,
        "MissingActiveScalingConfiguration",
        "An active scaling configuration for the specified scaling group is not supplied.",
    )
}
pub fn scaling_rule_not_found() -> Fault {
    f(
        404,
        "InvalidScalingRuleId.NotFound",
        "The specified scaling rule does not exist.",
    )
}
pub fn scaling_rule_ari_not_found() -> Fault {
    f(
        404,
        "InvalidScalingRuleAri.NotFound",
        "The specified scaling rule Ari does not exist.",
    )
}
pub fn name_duplicate(param: &str) -> Fault {
    let code = match param {
        "ScalingGroupName" => "InvalidScalingGroupName.Duplicate",
        "ScalingConfigurationName" => "InvalidScalingConfigurationName.Duplicate",
        _ => "InvalidScalingRuleName.Duplicate",
    };
    f(
        400,
        code,
        format!("The specified value of parameter <{param}> is duplicated."),
    )
}
pub fn quota_scaling_group() -> Fault {
    f(
        400,
        "QuotaExceeded.ScalingGroup",
        "Scaling group quota exceeded.",
    )
}
pub fn quota_scaling_configuration() -> Fault {
    f(
        400,
        "QuotaExceeded.ScalingConfiguration",
        "Scaling configuration quota exceeded in the specified scaling group.",
    )
}
pub fn quota_scaling_rule() -> Fault {
    f(
        400,
        "QuotaExceeded.ScalingRule",
        "Scaling rule quota exceeded in the specified scaling group.",
    )
}
pub fn ess_db_not_found(id: &str) -> Fault {
    f(
        404,
        "InvalidDBInstanceId.NotFound",
        format!("DB instance \"{id}\" does not exist."),
    )
}
pub fn ess_db_not_found_attach(id: &str) -> Fault {
    f(
        400,
        "InvalidDBInstanceId.NotFound",
        format!("The specified value of parameter \"{id}\" is not valid."),
    )
}
pub fn ess_db_status(id: &str) -> Fault {
    f(
        400,
        "IncorrectDBInstanceStatus",
        format!("The current status of DB instance \"{id}\" does not support this action."),
    )
}
pub fn ess_db_ip_quota(id: &str) -> Fault {
    f(
        400,
        "QuotaExceeded.DBInstanceSecurityIP",
        format!("Security IP quota exceeded in DB instance \"{id}\"."),
    )
}
pub fn ess_rds_quota() -> Fault {
    f(400, "QuotaExceeded.RDS", "\"RDS\" quota exceeded.")
}
pub fn ess_db_type_unsupported(kind: &str) -> Fault {
    f(400, "InvalidParameter", format!("The specified value of parameter \"Type\" is not valid: \"{kind}\" databases support only AttachMode SecurityGroup."))
}
pub fn ess_db_region_mismatch(id: &str) -> Fault {
    f(
        400,
        "InvalidDBInstanceId.RegionMismatch",
        format!("DB instance \"{id}\" and the specified scaling group are not in the same Region."),
    )
}
pub fn ess_db_not_attached(id: &str) -> Fault {
    f(
        400,
        "InvalidDBInstanceId.NotFound",
        format!("The specified value of parameter \"{id}\" is not valid."),
    )
}
pub fn ess_vswitch_not_found() -> Fault {
    f(
        404,
        "InvalidVSwitchId.NotFound",
        "The specified virtual switch does not exist.",
    )
}
pub fn ess_vswitch_vpc_mismatch() -> Fault {
    f(
        400,
        "InvalidVSwitchId.VPCMismatch",
        "The specified virtual switches are not in the same VPC.",
    )
}
pub fn ess_security_group_not_found() -> Fault {
    f(
        404,
        "InvalidSecurityGroupId.NotFound",
        "The specified security group does not exist.",
    )
}
pub fn ess_security_group_vpc_mismatch() -> Fault {
    f(
        400,
        "InvalidSecurityGroupId.VPCMismatch",
        "The specified security group and the specified virtual switch are not in the same VPC.",
    )
}
pub fn deletion_protected() -> Fault {
    f(
        400,
        "OperationDenied.GroupDeletionProtection",
        "The specified scaling group has deletion protection enabled.",
    )
}
pub fn scaling_policy_invalid() -> Fault {
    invalid_parameter("ScalingPolicy")
}

// ---- ApsaraDB (PolarDB, MongoDB, AnalyticDB, Redis) ----
// Codes and texts from each product's official metadata (api-meta/*.json errorCodes) where it lists
// them; the few the metadata does not name are marked [unverified].

// PolarDB (polardb 2017-08-01)
pub fn polardb_cluster_not_found() -> Fault {
    f(
        404,
        "InvalidDBClusterId.NotFound",
        "The DBClusterId provided does not exist in our records.",
    )
}
pub fn polardb_cluster_status() -> Fault {
    f(
        403,
        "OperationDenied.DBClusterStatus",
        "The operation is not permitted due to status of cluster.",
    )
}
pub fn polardb_release_status() -> Fault {
    f(
        403,
        "OperationDenied.ClusterStatus",
        "The PolarDB cluster is not allowed to release when it is not running.",
    )
}
/// PolarDB and Redis.
pub fn security_ip_list_format() -> Fault {
    f(
        400,
        "InvalidSecurityIPList.Format",
        "Specified security IP list format is not valid.",
    )
}
/// PolarDB, AnalyticDB and Redis (without the RDS text's final period).
pub fn security_ip_list_duplicate() -> Fault {
    f(
        400,
        "InvalidSecurityIPList.Duplicate",
        "Specified security IP list is not valid: Duplicate IP address in the list",
    )
}
pub fn polardb_security_ip_exists() -> Fault {
    f(
        403,
        "SecurityIPList.Duplicate",
        "Specified same security IP already exists.",
    )
}
pub fn polardb_security_group_count() -> Fault {
    f(
        400,
        "NumberExceed.securityGroupIds",
        "The number of SecurityGroupIds exceeds 10.",
    )
}
/// [unverified] PolarDB and AnalyticDB name no code for a bad DBClusterIPArrayName.
pub fn cluster_ip_array_name() -> Fault {
    invalid_parameter("DBClusterIPArrayName")
}
/// [unverified] No engine documents the error for one whitelist group too many.
pub fn whitelist_group_quota() -> Fault {
    f(
        400,
        "QuotaExceeded.WhitelistGroup",
        "The number of IP whitelist groups exceeds the maximum allowed.",
    )
}

// MongoDB (Dds 2015-12-01)
pub fn dds_instance_not_found() -> Fault {
    f(
        404,
        "InvalidDBInstanceId.NotFound",
        "The DBInstanceId provided does not exist in our records.",
    )
}
pub fn dds_instance_status() -> Fault {
    f(
        403,
        "OperationDenied.DBInstanceStatus",
        "The operation is not permitted due to status of instance.",
    )
}
pub fn dds_security_ips_malformed() -> Fault {
    f(
        400,
        "InvalidSecurityIps.MalFormed",
        "The specified parameter \"SecurityIps\" is not valid.",
    )
}
/// An address already in the group (strict Append) or twice in the request; the text is the
/// metadata's, odd as it reads.
pub fn dds_security_ip_duplicate() -> Fault {
    f(
        400,
        "InvalidInstanceIp.Duplicate",
        "The quota of security ip  exceeds.",
    )
}
pub fn dds_security_ip_quota() -> Fault {
    f(
        400,
        "InvalidSecurityIPListLength.Malformed",
        "The Security IP address is not in the available range or occupied.",
    )
}
pub fn dds_security_ip_not_found() -> Fault {
    f(
        404,
        "InvalidSecurityIPs.NotFound",
        "The Specified same security IP does not exist or at least one security IP need.",
    )
}
/// MongoDB and Redis.
pub fn group_name_format() -> Fault {
    f(
        400,
        "InvalidGroupName.Format",
        "Sepecified group name is not valid.",
    )
}

// AnalyticDB for MySQL (adb 2019-03-15)
pub fn adb_cluster_not_found() -> Fault {
    f(
        404,
        "InvalidDBCluster.NotFound",
        "The DBClusterId provided does not exist in our records.",
    )
}
pub fn adb_cluster_status() -> Fault {
    f(
        400,
        "IncorrectDBInstanceState",
        "The specified instance state does not support this operation.",
    )
}
pub fn adb_security_ip_malformed() -> Fault {
    f(
        400,
        "InvalidSecurityIPList.Malformed",
        "The specified SecurityIPList is incorrectly formatted.",
    )
}
pub fn adb_security_ip_exists() -> Fault {
    f(
        400,
        "SecurityIPList.Duplicate",
        "The specified IP address is duplicate.",
    )
}

// Redis / Tair (R-kvstore 2015-01-01)
pub fn kvstore_instance_not_found() -> Fault {
    f(
        404,
        "InvalidInstanceId.NotFound",
        "The InstanceId provided does not exist in our records.",
    )
}
pub fn kvstore_security_ip_exists() -> Fault {
    f(
        409,
        "SecurityIPList.Duplicate",
        "Specified same security IP already exists.",
    )
}
pub fn kvstore_security_ip_not_found() -> Fault {
    f(
        404,
        "InvalidSecurityIPList.NotFound",
        "Specified same security IP does not exist or at least one security IP need.",
    )
}
/// A DryRun request that would have succeeded (Redis CreateInstance).
pub fn dry_run_operation() -> Fault {
    f(
        400,
        "DryRunOperation",
        "Request validation has been passed with DryRun flag set.",
    )
}
