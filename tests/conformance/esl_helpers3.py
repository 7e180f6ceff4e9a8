"""Helpers for the group / instance lifecycle tests (test_ess_*.py): ECS instances made with
RunInstances, Attach/Detach/Remove, protection and standby, health, ScaleWithAdjustment, scheduled
tasks, the virtual clock, and the old core's 2014-08-28 requests. Builds on esl_helpers; nothing here
sleeps (time moves only through the `advance` fixture).

The server contract these helpers rely on (virtual clock):
  instance launch 2 s, release 1 s; ECS StopInstance Stopping -> Stopped after 1 s, StartInstance
  Starting -> Running after 1 s, RunInstances Pending -> Running after 2 s; the ESS health check looks
  5 s after an instance leaves Running / is deleted / is marked Unhealthy. advance(60) is always
  enough for one step; an "unhealthy -> removed -> replaced" cycle is done after advance(60) twice.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import requests

import alibabacloud_ecs20140526.models as ecs_models
import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    IMAGE_ID,
    INSTANCE_TYPE,
    REGION,
    Clients,
    Net,
    call,
    instances,
)

ZONE_B = "cn-hangzhou-i"
OTHER_IMAGE_ID = "centos_7_9_x64_20G_alibase_20240101.vhd"

# ess-api.md §4 (exact texts)
MSG_GROUP_STATUS = "The current status of the specified scaling group does not support this action."
MSG_CAPACITY_MAX = "To attach the instances, the total capacity will be greater than the MaxSize."
MSG_CAPACITY_MIN = "To remove the instances, the total capacity will be lesser than the MinSize."
MSG_NO_CHANGE = "To execute the specified scaling rule, the total capacity will not change."
MSG_CONFIG_NOT_FOUND = "The specified scaling configuration does not exist."
MSG_CONFIG_STATE = (
    "The current lifecycle state of specified scaling configuration does not support this action."
)
MSG_RULE_NOT_FOUND = "The specified scaling rule does not exist."
MSG_RULE_ARI_NOT_FOUND = "The specified scaling rule Ari does not exist."
# ECS (api-meta ecs-2014-05-26 errorCodes of StopInstance / DeleteInstance)
MSG_ECS_STATUS = "The current status of the resource does not support this operation."
MSG_ECS_NOT_FOUND = "The specified InstanceId does not exist."


def msg_instance_not_found(iid: str) -> str:
    return f'Instance "{iid}" does not exist.'


def msg_instance_in_use(iid: str) -> str:
    return f'Instance "{iid}" is already attached to another scaling group.'


def msg_instance_status(iid: str) -> str:
    return f'The current status of instance "{iid}" does not support this action.'


def msg_vpc_mismatch(iid: str) -> str:
    return f'Instance "{iid}" and the specified scaling group are not in the same VPC.'


def msg_invalid_parameter(param: str) -> str:
    # ess-api.md §1.6
    return f'The specified value of parameter "{param}" is not valid.'


# --------------------------------------------------------------------------------------------
# Virtual clock

def clock_ms(server) -> int:
    """The server's virtual now (GET /_ess-local/clock -> {"Now", "NowMs", "Mode"})."""
    r = requests.get(f"{server.base_url}/_ess-local/clock", timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["Mode"] == "virtual", body
    assert isinstance(body["NowMs"], int), body
    return body["NowMs"]


def minute_str(ms: int) -> str:
    """YYYY-MM-DDThh:mmZ (UTC), the format of LaunchTime / StartTime."""
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%MZ")


def next_minute_ms(now_ms: int, minutes_ahead: int) -> int:
    """A whole-minute instant at least `minutes_ahead` minutes after now."""
    return (now_ms // 60000 + minutes_ahead + 1) * 60000


def advance_to(advance, server, target_ms: int) -> None:
    """Move the virtual clock to exactly target_ms (which must be in the future)."""
    now = clock_ms(server)
    assert target_ms > now, (target_ms, now)
    advance((target_ms - now) / 1000)


def settle(advance) -> None:
    """Long enough for any health check -> removal -> replacement cycle (the contract: two steps)."""
    advance(60)
    advance(60)


# --------------------------------------------------------------------------------------------
# ECS

def run_instances(c: Clients, net: Net, amount: int = 1, *, name: str = "vm", vsw: str | None = None,
                  sg: str | None = None) -> list[str]:
    raw = call(
        c.ecs.run_instances,
        ecs_models.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE_ID,
            instance_type=INSTANCE_TYPE,
            security_group_id=sg or net.sg_id,
            v_switch_id=vsw or net.vsw_id,
            amount=amount,
            instance_name=name,
        ),
    )
    ids = raw["InstanceIdSets"]["InstanceIdSet"]
    assert isinstance(ids, list) and len(ids) == amount, raw
    assert len(set(ids)) == amount, raw
    for i in ids:
        assert i.startswith("i-"), raw
    return ids


def running_instances(c: Clients, advance, net: Net, amount: int = 1, **kw) -> list[str]:
    """RunInstances, then let them reach Running."""
    ids = run_instances(c, net, amount, **kw)
    advance(60)
    for i in ids:
        assert ecs_status(c, i) == "Running", i
    return ids


def ecs_one(c: Clients, iid: str) -> dict | None:
    raw = call(
        c.ecs.describe_instances,
        ecs_models.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps([iid]), page_size=10),
    )
    items = raw["Instances"]["Instance"]
    assert raw["TotalCount"] == len(items), raw
    if not items:
        return None
    assert [x["InstanceId"] for x in items] == [iid], raw
    return items[0]


def ecs_status(c: Clients, iid: str) -> str | None:
    """The ECS Status, or None when ECS no longer knows the instance (released)."""
    e = ecs_one(c, iid)
    return None if e is None else e["Status"]


def ecs_ip(c: Clients, iid: str) -> str:
    e = ecs_one(c, iid)
    assert e is not None, iid
    ips = e["VpcAttributes"]["PrivateIpAddress"]["IpAddress"]
    assert len(ips) == 1, e
    return ips[0]


def ecs_query(c: Clients, **kw) -> list[str]:
    """Sorted ids of DescribeInstances with these request fields (TotalCount checked)."""
    raw = call(c.ecs.describe_instances, ecs_models.DescribeInstancesRequest(region_id=REGION, page_size=100, **kw))
    items = raw["Instances"]["Instance"]
    assert raw["TotalCount"] == len(items), raw
    return sorted(x["InstanceId"] for x in items)


def stop_instance(c: Clients, iid: str, force: bool | None = None) -> dict:
    return call(c.ecs.stop_instance, ecs_models.StopInstanceRequest(instance_id=iid, force_stop=force))


def start_instance(c: Clients, iid: str) -> dict:
    return call(c.ecs.start_instance, ecs_models.StartInstanceRequest(instance_id=iid))


def delete_instance(c: Clients, iid: str, force: bool | None = None) -> dict:
    return call(c.ecs.delete_instance, ecs_models.DeleteInstanceRequest(instance_id=iid, force=force))


# --------------------------------------------------------------------------------------------
# ESS groups and configurations

def make_group(
    c: Clients,
    name: str,
    vsw_ids: list[str],
    *,
    rds_ids: list[str] = (),
    min_size: int = 0,
    max_size: int = 5,
    desired: int | None = None,
    removal: list[str] | None = None,
    multi_az: str | None = None,
) -> str:
    req = ess_models.CreateScalingGroupRequest(
        region_id=REGION,
        scaling_group_name=name,
        min_size=min_size,
        max_size=max_size,
        desired_capacity=desired,
        v_switch_ids=list(vsw_ids),
        removal_policies=removal,
        multi_azpolicy=multi_az,
        dbinstances=[
            ess_models.CreateScalingGroupRequestDBInstances(dbinstance_id=rm, type="RDS", attach_mode="SecurityIp")
            for rm in rds_ids
        ]
        or None,
    )
    raw = call(c.ess.create_scaling_group, req)
    assert raw["ScalingGroupId"].startswith("asg-"), raw
    return raw["ScalingGroupId"]


def make_config(c: Clients, asg: str, sg_id: str, name: str, *, image: str = IMAGE_ID,
                instance_type: str | None = INSTANCE_TYPE, instance_types: list[str] | None = None) -> str:
    raw = call(
        c.ess.create_scaling_configuration,
        ess_models.CreateScalingConfigurationRequest(
            scaling_group_id=asg,
            image_id=image,
            instance_type=instance_type,
            instance_types=instance_types,
            security_group_id=sg_id,
            scaling_configuration_name=name,
        ),
    )
    assert raw["ScalingConfigurationId"].startswith("asc-"), raw
    return raw["ScalingConfigurationId"]


def enable_group(c: Clients, asg: str, active: str | None = None) -> None:
    call(
        c.ess.enable_scaling_group,
        ess_models.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg, active_scaling_configuration_id=active),
    )


def disable_group(c: Clients, asg: str) -> None:
    call(c.ess.disable_scaling_group, ess_models.DisableScalingGroupRequest(scaling_group_id=asg))


def active_group(c: Clients, net: Net, name: str, *, vsw_ids: list[str] | None = None, **kw) -> tuple[str, str]:
    """An Active group with one configuration; returns (group id, configuration id)."""
    asg = make_group(c, name, vsw_ids or [net.vsw_id], **kw)
    asc = make_config(c, asg, net.sg_id, f"{name}-cfg")
    enable_group(c, asg)
    return asg, asc


def modify_group(c: Clients, asg: str, **kw) -> dict:
    return call(c.ess.modify_scaling_group, ess_models.ModifyScalingGroupRequest(scaling_group_id=asg, **kw))


def configs(c: Clients, asg: str) -> dict[str, dict]:
    raw = call(
        c.ess.describe_scaling_configurations,
        ess_models.DescribeScalingConfigurationsRequest(region_id=REGION, scaling_group_id=asg, page_size=50),
    )
    items = raw["ScalingConfigurations"]
    assert raw["TotalCount"] == len(items), raw
    return {x["ScalingConfigurationId"]: x for x in items}


def rules_by_id(c: Clients, ids: list[str]) -> dict[str, dict]:
    raw = call(
        c.ess.describe_scaling_rules,
        ess_models.DescribeScalingRulesRequest(region_id=REGION, scaling_rule_ids=ids, page_size=50),
    )
    return {x["ScalingRuleId"]: x for x in raw["ScalingRules"]}


def group_activities(c: Clients, asg: str) -> list[dict]:
    """Every activity of the group (all pages)."""
    out: list[dict] = []
    page = 1
    while True:
        raw = call(
            c.ess.describe_scaling_activities,
            ess_models.DescribeScalingActivitiesRequest(
                region_id=REGION, scaling_group_id=asg, page_number=page, page_size=50
            ),
        )
        out.extend(raw["ScalingActivities"])
        if len(out) >= raw["TotalCount"] or not raw["ScalingActivities"]:
            assert len(out) == raw["TotalCount"], raw
            return out
        page += 1


# --------------------------------------------------------------------------------------------
# ESS instances

def members(c: Clients, asg: str) -> dict[str, dict]:
    return {i["InstanceId"]: i for i in instances(c, asg)}


def states(c: Clients, asg: str) -> dict[str, str]:
    return {i["InstanceId"]: i["LifecycleState"] for i in instances(c, asg)}


def attach(c: Clients, asg: str, ids: list[str], *, entrusted: bool | None = None) -> str:
    raw = call(
        c.ess.attach_instances,
        ess_models.AttachInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids, entrusted=entrusted),
    )
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def attach_request(asg: str, ids: list[str], **kw) -> ess_models.AttachInstancesRequest:
    return ess_models.AttachInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids, **kw)


def detach(c: Clients, asg: str, ids: list[str], *, decrease: bool | None = None, option: str | None = None) -> str:
    raw = call(
        c.ess.detach_instances,
        ess_models.DetachInstancesRequest(
            scaling_group_id=asg, instance_ids=ids, decrease_desired_capacity=decrease, detach_option=option
        ),
    )
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def protect(c: Clients, asg: str, ids: list[str], on: bool) -> dict:
    raw = call(
        c.ess.set_instances_protection,
        ess_models.SetInstancesProtectionRequest(scaling_group_id=asg, instance_ids=ids, protected_from_scale_in=on),
    )
    return raw


def enter_standby(c: Clients, asg: str, ids: list[str]) -> str:
    raw = call(c.ess.enter_standby, ess_models.EnterStandbyRequest(scaling_group_id=asg, instance_ids=ids))
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def exit_standby(c: Clients, asg: str, ids: list[str]) -> str:
    raw = call(c.ess.exit_standby, ess_models.ExitStandbyRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids))
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


def set_health(c: Clients, iid: str, status: str) -> dict:
    return call(c.ess.set_instance_health, ess_models.SetInstanceHealthRequest(instance_id=iid, health_status=status))


def scale_with(c: Clients, asg: str, kind: str, value: int, *, magnitude: int | None = None,
               metadata: str | None = None, sync: bool | None = None) -> str:
    raw = call(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(
            scaling_group_id=asg,
            adjustment_type=kind,
            adjustment_value=value,
            min_adjustment_magnitude=magnitude,
            activity_metadata=metadata,
            sync_activity=sync,
        ),
    )
    assert raw["ScalingActivityId"].startswith("asa-"), raw
    return raw["ScalingActivityId"]


# --------------------------------------------------------------------------------------------
# Scheduled tasks

def create_task(c: Clients, **kw: Any) -> str:
    raw = call(c.ess.create_scheduled_task, ess_models.CreateScheduledTaskRequest(region_id=REGION, **kw))
    tid = raw["ScheduledTaskId"]
    assert isinstance(tid, str) and tid, raw
    return tid


def tasks(c: Clients, **kw: Any) -> dict[str, dict]:
    raw = call(
        c.ess.describe_scheduled_tasks,
        ess_models.DescribeScheduledTasksRequest(region_id=REGION, page_size=50, **kw),
    )
    items = raw["ScheduledTasks"]
    assert raw["TotalCount"] == len(items), raw
    return {t["ScheduledTaskId"]: t for t in items}


def delete_task(c: Clients, tid: str) -> None:
    call(c.ess.delete_scheduled_task, ess_models.DeleteScheduledTaskRequest(region_id=REGION, scheduled_task_id=tid))


# --------------------------------------------------------------------------------------------
# The old core with 2014-08-28 request classes (wrapped list shapes, InstanceId.N)

def core14_instances(core, asg: str) -> dict[str, dict]:
    from aliyunsdkess.request.v20140828.DescribeScalingInstancesRequest import DescribeScalingInstancesRequest

    req = DescribeScalingInstancesRequest()
    req.set_ScalingGroupId(asg)
    req.set_PageSize(50)
    body = core.do(req)
    assert set(body["ScalingInstances"]) == {"ScalingInstance"}, body
    items = body["ScalingInstances"]["ScalingInstance"]
    assert body["TotalCount"] == len(items), body
    return {i["InstanceId"]: i for i in items}


def core14_activity(core, act: str) -> dict:
    from aliyunsdkess.request.v20140828.DescribeScalingActivitiesRequest import DescribeScalingActivitiesRequest

    req = DescribeScalingActivitiesRequest()
    req.set_ScalingActivityIds([act])
    body = core.do(req)
    assert set(body["ScalingActivities"]) == {"ScalingActivity"}, body
    items = body["ScalingActivities"]["ScalingActivity"]
    assert [a["ScalingActivityId"] for a in items] == [act], body
    return items[0]


def core14_group(core, asg: str) -> dict:
    from aliyunsdkess.request.v20140828.DescribeScalingGroupsRequest import DescribeScalingGroupsRequest

    req = DescribeScalingGroupsRequest()
    req.set_ScalingGroupIds([asg])
    body = core.do(req)
    items = body["ScalingGroups"]["ScalingGroup"]
    assert [g["ScalingGroupId"] for g in items] == [asg], body
    return items[0]
