"""Helpers for the Method 3 tests (test_method3_*.py): ESS lifecycle hooks and actions, OOS templates
and executions, and the four ApsaraDB products the public OOS lifecycle templates write (PolarDB,
MongoDB, AnalyticDB for MySQL, Redis), each through its official SDK. Builds on esl_helpers;
nothing here sleeps (time moves only through the `advance` fixture).

The server contract these helpers rely on (virtual clock): a database is Running 3 s after its
creation (advance(60) is always enough); an OOS execution starts running 1 s after it is created
(advance(1)) and runs to its end in that one step unless it sleeps; a released instance is gone
1 s after its removal starts."""
from __future__ import annotations

import json
from typing import Any

import pytest

import alibabacloud_adb20190315.models as adb_models
import alibabacloud_dds20151201.models as dds_models
import alibabacloud_ess20220222.models as ess_models
import alibabacloud_oos20190601.models as oos_models
import alibabacloud_polardb20170801.models as polar_models
import alibabacloud_r_kvstore20150101.models as kv_models

import esl_schema
from esl_helpers import (
    REGION,
    ZONE,
    Clients,
    Net,
    call,
    create_config,
    enable,
)

# Every response is checked against its product's api-meta schema, like the rest of the suite.
esl_schema.VERSION_FILES.update(
    {
        "2019-06-01": "oos-2019-06-01.json",
        "2017-08-01": "polardb-2017-08-01.json",
        "2015-12-01": "dds-2015-12-01.json",
        "2019-03-15": "adb-2019-03-15.json",
        "2015-01-01": "r-kvstore-2015-01-01.json",
    }
)

# The public templates (db-oos-api.md §4.2) and the parameter naming the database in each.
TPL_POLARDB = "ACS-ESS-LifeCycleModifyPolarDBIPWhitelist"
TPL_MONGODB = "ACS-ESS-LifeCycleModifyMongoDBIPWhitelist"
TPL_ADB = "ACS-ESS-LifeCycleModifyAnalyticDBIPWhitelist"
TPL_REDIS = "ACS-ESS-LifeCycleModifyRedisIPWhitelist"
ACTION_POLARDB = "ACS::ESS::ModifyPolarDBIPWhitelist"
PUBLIC_TEMPLATES = {TPL_POLARDB, TPL_MONGODB, TPL_ADB, TPL_REDIS, ACTION_POLARDB}

# ess-api.md §4 (exact texts)
MSG_TOKEN_INVALID = (
    "The specified lifecycleActionToken and lifecycleHookId you provided does not match any in "
    "process lifecycle action."
)
MSG_TIME_EXCEEDED = "The specified parameter heartbeatTime exceed lifecycleAction max suspend time."
MSG_RECORD_TIMES = "The specified lifecycleAction exceed lifecycleAction max record times."
MSG_HOOK_NOT_EXIST = "The specified lifecycleHookId not exist."
MSG_HOOK_NAME_DUP = "The specified value of parameter lifecycleHookName is duplicated."
MSG_ARN_INVALID = "The specified parameter notificationArn is invalid."


# --------------------------------------------------------------------------------------------
# ESS lifecycle hooks

def oos_arn(server, template: str, region: str = REGION, account: str | None = None) -> str:
    return f"acs:oos:{region}:{account or server.account_id}:template/{template}"


def hook_request(asg: str, transition: str, **kw: Any) -> ess_models.CreateLifecycleHookRequest:
    return ess_models.CreateLifecycleHookRequest(scaling_group_id=asg, lifecycle_transition=transition, **kw)


def create_hook(c: Clients, asg: str, transition: str, **kw: Any) -> str:
    raw = call(c.ess.create_lifecycle_hook, hook_request(asg, transition, **kw))
    assert set(raw) == {"RequestId", "LifecycleHookId"}, raw
    assert raw["LifecycleHookId"].startswith("ash-"), raw
    return raw["LifecycleHookId"]


def hooks_of(c: Clients, asg: str, **kw: Any) -> dict[str, dict]:
    raw = call(
        c.ess.describe_lifecycle_hooks,
        ess_models.DescribeLifecycleHooksRequest(region_id=REGION, scaling_group_id=asg, **kw),
    )
    items = raw["LifecycleHooks"]
    assert isinstance(items, list), raw
    assert raw["TotalCount"] == len(items), raw
    return {h["LifecycleHookId"]: h for h in items}


def modify_hook(c: Clients, **kw: Any) -> dict:
    return call(c.ess.modify_lifecycle_hook, ess_models.ModifyLifecycleHookRequest(region_id=REGION, **kw))


def delete_hook(c: Clients, **kw: Any) -> dict:
    return call(c.ess.delete_lifecycle_hook, ess_models.DeleteLifecycleHookRequest(region_id=REGION, **kw))


def lifecycle_actions(c: Clients, act: str, **kw: Any) -> dict:
    """The raw DescribeLifecycleActions body of one activity."""
    raw = call(
        c.ess.describe_lifecycle_actions,
        ess_models.DescribeLifecycleActionsRequest(region_id=REGION, scaling_activity_id=act, **kw),
    )
    assert isinstance(raw["LifecycleActions"], list), raw
    return raw


def actions_by_hook(c: Clients, act: str) -> dict[str, dict]:
    raw = lifecycle_actions(c, act, max_results=50)
    assert raw["TotalCount"] == len(raw["LifecycleActions"]), raw
    return {a["LifecycleHookId"]: a for a in raw["LifecycleActions"]}


def only_action(c: Clients, act: str) -> dict:
    items = list(actions_by_hook(c, act).values())
    assert len(items) == 1, items
    return items[0]


def complete_request(hook: str, token: str, result: str | None = None) -> ess_models.CompleteLifecycleActionRequest:
    return ess_models.CompleteLifecycleActionRequest(
        region_id=REGION, lifecycle_hook_id=hook, lifecycle_action_token=token, lifecycle_action_result=result
    )


def complete(c: Clients, hook: str, token: str, result: str | None = None) -> dict:
    raw = call(c.ess.complete_lifecycle_action, complete_request(hook, token, result))
    assert set(raw) == {"RequestId"}, raw
    return raw


def heartbeat_request(hook: str, token: str, timeout: int | None = None) -> ess_models.RecordLifecycleActionHeartbeatRequest:
    return ess_models.RecordLifecycleActionHeartbeatRequest(
        region_id=REGION, lifecycle_hook_id=hook, lifecycle_action_token=token, heartbeat_timeout=timeout
    )


def heartbeat(c: Clients, hook: str, token: str, timeout: int | None = None) -> dict:
    return call(c.ess.record_lifecycle_action_heartbeat, heartbeat_request(hook, token, timeout))


def hook_group(c: Clients, net: Net, name: str, *, min_size: int = 0, max_size: int = 5, rds_ids=(),
               cooldown: int | None = None, hooks: list[ess_models.CreateScalingGroupRequestLifecycleHooks] | None = None) -> str:
    """An Active group in net.vsw_id with one configuration (and inline hooks, if given)."""
    req = ess_models.CreateScalingGroupRequest(
        region_id=REGION,
        scaling_group_name=name,
        min_size=min_size,
        max_size=max_size,
        v_switch_ids=[net.vsw_id],
        default_cooldown=cooldown,
        lifecycle_hooks=hooks,
        dbinstances=[
            ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityIp")
            for rm in rds_ids
        ]
        or None,
    )
    asg = call(c.ess.create_scaling_group, req)["ScalingGroupId"]
    create_config(c, asg, net.sg_id, f"{name}-cfg")
    enable(c, asg)
    return asg


def scale_out(c: Clients, asg: str, n: int = 1, **kw: Any) -> str:
    raw = call(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(
            scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity", adjustment_value=n, **kw
        ),
    )
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def scale_in(c: Clients, asg: str, n: int = 1, **kw: Any) -> str:
    return scale_out(c, asg, -n, **kw)


def no_hooks_context() -> ess_models.ScaleWithAdjustmentRequestLifecycleHookContext:
    return ess_models.ScaleWithAdjustmentRequestLifecycleHookContext(disable_lifecycle_hook=True)


# --------------------------------------------------------------------------------------------
# OOS

def create_template(oos, name: str, content: str, **kw: Any) -> dict:
    raw = call(oos.create_template, oos_models.CreateTemplateRequest(region_id=REGION, template_name=name, content=content, **kw))
    return raw


def get_template(oos, name: str, **kw: Any) -> dict:
    return call(oos.get_template, oos_models.GetTemplateRequest(region_id=REGION, template_name=name, **kw))


def list_templates(oos, **kw: Any) -> dict:
    raw = call(oos.list_templates, oos_models.ListTemplatesRequest(region_id=REGION, **kw))
    assert isinstance(raw["Templates"], list), raw
    return raw


def start_execution(oos, template: str, parameters: dict | None = None, **kw: Any) -> dict:
    raw = call(
        oos.start_execution,
        oos_models.StartExecutionRequest(
            region_id=REGION,
            template_name=template,
            parameters=None if parameters is None else json.dumps(parameters),
            **kw,
        ),
    )
    ex = raw["Execution"]
    assert ex["ExecutionId"].startswith("exec-"), raw
    return ex


def executions(oos, **kw: Any) -> list[dict]:
    raw = call(oos.list_executions, oos_models.ListExecutionsRequest(region_id=REGION, max_results=100, **kw))
    assert isinstance(raw["Executions"], list), raw
    return raw["Executions"]


def execution(oos, exec_id: str) -> dict:
    items = executions(oos, execution_id=exec_id)
    assert [x["ExecutionId"] for x in items] == [exec_id], items
    return items[0]


def hook_executions(oos, hook: str) -> list[dict]:
    """The executions a hook started (their parameters carry its id), oldest first."""
    out = [x for x in executions(oos) if x["Parameters"].get("lifecycleHookId") == hook]
    return list(reversed(out))


def hook_execution(oos, hook: str, token: str) -> dict:
    items = [x for x in hook_executions(oos, hook) if x["Parameters"].get("lifecycleActionToken") == token]
    assert len(items) == 1, items
    return items[0]


def task_executions(oos, exec_id: str, **kw: Any) -> list[dict]:
    raw = call(
        oos.list_task_executions,
        oos_models.ListTaskExecutionsRequest(region_id=REGION, execution_id=exec_id, max_results=100, **kw),
    )
    assert isinstance(raw["TaskExecutions"], list), raw
    return raw["TaskExecutions"]


def task_statuses(oos, exec_id: str) -> list[tuple[str, str]]:
    """(TaskName, Status) of an execution's tasks in the order they ran."""
    return [(t["TaskName"], t["Status"]) for t in task_executions(oos, exec_id)]


# --------------------------------------------------------------------------------------------
# The four databases: create (Running after advance), and the default whitelist group

def polar_create(polardb, net: Net, advance, name: str) -> str:
    raw = call(
        polardb.create_dbcluster,
        polar_models.CreateDBClusterRequest(
            region_id=REGION,
            dbtype="MySQL",
            dbversion="8.0",
            dbnode_class="polar.mysql.x4.medium",
            pay_type="Postpaid",
            cluster_network_type="VPC",
            vpcid=net.vpc_id,
            v_switch_id=net.db_vsw_id,
            zone_id=ZONE,
            dbcluster_description=name,
        ),
    )
    pc = raw["DBClusterId"]
    assert pc.startswith("pc-"), raw
    advance(60)
    return pc


def polar_groups(polardb, pc: str) -> dict[str, str]:
    raw = call(
        polardb.describe_dbcluster_access_whitelist,
        polar_models.DescribeDBClusterAccessWhitelistRequest(dbcluster_id=pc),
    )
    return {g["DBClusterIPArrayName"]: g["SecurityIps"] for g in raw["Items"]["DBClusterIPArray"]}


def dds_create(dds, net: Net, advance, name: str) -> str:
    raw = call(
        dds.create_dbinstance,
        dds_models.CreateDBInstanceRequest(
            region_id=REGION,
            zone_id=ZONE,
            engine="MongoDB",
            engine_version="6.0",
            dbinstance_class="mdb.shard.2x.xlarge.d",
            dbinstance_storage=20,
            charge_type="PostPaid",
            network_type="VPC",
            vpc_id=net.vpc_id,
            v_switch_id=net.db_vsw_id,
            dbinstance_description=name,
        ),
    )
    inst = raw["DBInstanceId"]
    assert inst.startswith("dds-"), raw
    advance(60)
    return inst


def dds_groups(dds, inst: str) -> dict[str, str]:
    raw = call(dds.describe_security_ips, dds_models.DescribeSecurityIpsRequest(dbinstance_id=inst))
    return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in raw["SecurityIpGroups"]["SecurityIpGroup"]}


def dds_modify(dds, inst: str, ips: str, mode: str) -> dict:
    return call(
        dds.modify_security_ips,
        dds_models.ModifySecurityIpsRequest(dbinstance_id=inst, security_ips=ips, modify_mode=mode),
    )


def adb_create(adb, net: Net, advance, name: str) -> str:
    raw = call(
        adb.create_dbcluster,
        adb_models.CreateDBClusterRequest(
            region_id=REGION,
            zone_id=ZONE,
            dbcluster_version="3.0",
            dbcluster_category="Cluster",
            dbcluster_network_type="VPC",
            dbcluster_class="C8",
            dbnode_group_count="1",
            dbnode_storage="100",
            pay_type="Postpaid",
            mode="Reserved",
            vpcid=net.vpc_id,
            v_switch_id=net.db_vsw_id,
            dbcluster_description=name,
        ),
    )
    am = raw["DBClusterId"]
    assert am.startswith("am-"), raw
    advance(60)
    return am


def adb_groups(adb, am: str) -> dict[str, str]:
    raw = call(
        adb.describe_dbcluster_access_white_list,
        adb_models.DescribeDBClusterAccessWhiteListRequest(dbcluster_id=am, region_id=REGION),
    )
    return {g["DBClusterIPArrayName"]: g["SecurityIPList"] for g in raw["Items"]["IPArray"]}


def kv_create(kvstore, net: Net, advance, name: str) -> str:
    raw = call(
        kvstore.create_instance,
        kv_models.CreateInstanceRequest(
            region_id=REGION,
            zone_id=ZONE,
            instance_name=name,
            instance_class="redis.master.small.default",
            charge_type="PostPaid",
            network_type="VPC",
            vpc_id=net.vpc_id,
            v_switch_id=net.db_vsw_id,
            engine_version="7.0",
        ),
    )
    r = raw["InstanceId"]
    assert r.startswith("r-"), raw
    advance(60)
    return r


def kv_groups(kvstore, r: str) -> dict[str, str]:
    raw = call(kvstore.describe_security_ips, kv_models.DescribeSecurityIpsRequest(instance_id=r))
    return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in raw["SecurityIpGroups"]["SecurityIpGroup"]}

