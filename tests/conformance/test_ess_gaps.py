"""Gaps found by the audit (2022 Tea SDK): activity status Warning and Rejected, IgnoreInvalidInstance and
the IgnoredInstances output, RemovePolicy=recycle, ScaleWithAdjustment SyncActivity, group tags, quotas.

Contract:
- ess-api.md §5.3: an activity ends Warning when it partly succeeds, e.g. Attach/Detach/RemoveInstances
  with IgnoreInvalidInstance=true skipped some of the named instances. Its StatusMessage is the usual one
  followed by `; "k" invalid ECS instance(s) is/are ignored (<id>: <code>, ...)` (the exact text is
  ess-local's; the real one is undocumented). RemoveInstances (2022) lists the skipped ones in
  IgnoredInstances [{InstanceId, Code, Message}] (§2.4). Without the flag the call is refused.
- §2.4 RemoveInstances RemovePolicy=recycle: AutoCreated and Entrusted instances are stopped (Economical
  Mode) instead of released: the ECS instance stays, Stopped, out of the group; its IP leaves the
  associated RDS whitelists like any removal. Attached non-entrusted instances are only removed.
- §2.3 ScaleWithAdjustment SyncActivity (default false) matters for desired-capacity groups: false only
  updates the desired capacity (ActivityType CapacityChange, per the 2022 API metadata; that activity is
  done at once, and the group converges in an activity of its own, TriggerSourceType Ess); true starts
  the scaling activity in the call. A group without a desired capacity starts it either way.
- §2.1 Tags.N.{Key,Value,Propagate}; DescribeScalingGroups Tags filter; propagated tags on the ECS
  instances (DescribeInstances Tags). TagResources/ListTagResources are not emulated.
- §2.1/§4 quotas: MaxSize > 2000 is InvalidParameter; QuotaExceeded.ScalingGroup (100 groups per
  region), QuotaExceeded.ScalingRule (50 rules per group).
- §5.3 Rejected: a scheduled task whose firing is refused leaves a Rejected activity with the reason."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    REGION,
    activity,
    assert_successful,
    call,
    create_rds,
    create_rule,
    expect_error,
    group,
    ready_group,
    scale,
    whitelist,
)
from esl_helpers3 import (
    MSG_GROUP_STATUS,
    active_group,
    advance_to,
    attach,
    attach_request,
    clock_ms,
    create_task,
    delete_task,
    disable_group,
    ecs_one,
    ecs_status,
    group_activities,
    make_config,
    make_group,
    members,
    minute_str,
    msg_instance_not_found,
    msg_invalid_parameter,
    next_minute_ms,
    running_instances,
    stop_instance,
)

GHOST = "i-doesnotexist0000000000"


def remove_raw(c, asg: str, ids: list[str], **kw) -> dict:
    return call(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids, **kw),
    )


def scale_raw(c, asg: str, value: int, **kw) -> dict:
    return call(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(
            scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity", adjustment_value=value, **kw
        ),
    )


def two_members(c, advance, net, name):
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    advance(60)
    by_ip = {m["PrivateIpAddress"]: i for i, m in members(c, asg).items()}
    assert sorted(by_ip) == ["10.0.1.1", "10.0.1.2"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    return rm, asg, by_ip["10.0.1.1"], by_ip["10.0.1.2"]


# ---- Warning, IgnoreInvalidInstance, IgnoredInstances ----

def test_remove_instances_ignored_instances_and_warning(clients, advance, net, name):
    c = clients
    rm, asg, a, b = two_members(c, advance, net, name)

    # Without IgnoreInvalidInstance an unknown id refuses the call, which changes nothing
    expect_error(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=[a, GHOST]),
        status=404,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(GHOST),
    )
    assert sorted(members(c, asg)) == sorted([a, b])
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"

    raw = remove_raw(c, asg, [a, GHOST], ignore_invalid_instance=True)
    assert raw["IgnoredInstances"] == [
        {"InstanceId": GHOST, "Code": "InvalidInstanceId.NotFound", "Message": f'Instance "{GHOST}" does not exist.'}
    ]
    act = raw["ScalingActivityId"]
    assert activity(c, act)["StatusCode"] == "InProgress"
    assert members(c, asg)[a]["LifecycleState"] == "Removing"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    advance(60)
    got = activity(c, act)
    assert got["StatusCode"] == "Warning"
    assert got["Progress"] == 100
    assert got["TotalCapacity"] == "1"
    assert got["StatusMessage"] == (
        f'"1" ECS instances are removed; "1" invalid ECS instance is ignored ({GHOST}: InvalidInstanceId.NotFound)'
    )
    assert got["ScalingInstanceNumber"] == 1
    assert sorted(members(c, asg)) == [b]
    assert ecs_one(c, a) is None  # AutoCreated: released
    # The Warning filter finds it
    raw = call(
        c.ess.describe_scaling_activities,
        ess_models.DescribeScalingActivitiesRequest(region_id=REGION, scaling_group_id=asg, status_code="Warning"),
    )
    assert [x["ScalingActivityId"] for x in raw["ScalingActivities"]] == [act]

    # Nothing skipped: Successful, IgnoredInstances empty
    raw = remove_raw(c, asg, [b], ignore_invalid_instance=True)
    assert raw["IgnoredInstances"] == []
    advance(60)
    got = activity(c, raw["ScalingActivityId"])
    assert_successful(got, 0)
    assert got["StatusMessage"] == '"1" ECS instances are removed'
    assert whitelist(c, rm) == "127.0.0.1"


def test_remove_instances_all_invalid_is_refused(clients, advance, net, name):
    c = clients
    rm, asg, a, b = two_members(c, advance, net, name)
    expect_error(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(
            region_id=REGION, scaling_group_id=asg, instance_ids=[GHOST], ignore_invalid_instance=True
        ),
        status=404,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(GHOST),
    )
    assert sorted(members(c, asg)) == sorted([a, b])
    assert group_activities(c, asg)[0]["StatusCode"] == "Successful"


def test_attach_instances_ignore_invalid_warning(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    good, stopped = running_instances(c, advance, net, 2, name=name)  # 10.0.1.1, 10.0.1.2
    stop_instance(c, stopped)
    advance(3)
    assert ecs_status(c, stopped) == "Stopped"
    expect_error(
        c.ess.attach_instances,
        attach_request(asg, [good, stopped]),
        status=400,
        code="IncorrectInstanceStatus",
        message=f'The current status of instance "{stopped}" does not support this action.',
    )
    assert members(c, asg) == {}
    raw = call(c.ess.attach_instances, attach_request(asg, [good, stopped, GHOST], ignore_invalid_instance=True))
    act = raw["ScalingActivityId"]
    assert sorted(members(c, asg)) == [good]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    advance(60)
    got = activity(c, act)
    assert got["StatusCode"] == "Warning"
    assert got["TotalCapacity"] == "1"
    assert got["AttachedCapacity"] == "1"
    assert got["StatusMessage"] == (
        f'"1" ECS instances are added; "2" invalid ECS instances are ignored '
        f"({stopped}: IncorrectInstanceStatus, {GHOST}: InvalidInstanceId.NotFound)"
    )
    assert members(c, asg)[good]["LifecycleState"] == "InService"


def test_detach_instances_ignore_invalid_warning(clients, advance, net, name):
    c = clients
    rm, asg, a, b = two_members(c, advance, net, name)
    req = ess_models.DetachInstancesRequest(scaling_group_id=asg, instance_ids=[a, GHOST], detach_option="both")
    expect_error(c.ess.detach_instances, req, status=404, code="InvalidInstanceId.NotFound",
                 message=msg_instance_not_found(GHOST))
    assert sorted(members(c, asg)) == sorted([a, b])
    req.ignore_invalid_instance = True
    act = call(c.ess.detach_instances, req)["ScalingActivityId"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    advance(60)
    got = activity(c, act)
    assert got["StatusCode"] == "Warning"
    assert got["StatusMessage"] == (
        f'"1" ECS instances are removed; "1" invalid ECS instance is ignored ({GHOST}: InvalidInstanceId.NotFound)'
    )
    assert sorted(members(c, asg)) == [b]
    assert ecs_status(c, a) == "Running"  # detached instances keep running


# ---- RemovePolicy=recycle ----

def test_remove_instances_recycle_stops_and_keeps(clients, advance, net, name):
    c = clients
    rm, asg, a, b = two_members(c, advance, net, name)
    (x,) = running_instances(c, advance, net, 1, name=name)  # 10.0.1.3, attached, not entrusted
    attach(c, asg, [x])
    advance(60)
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"

    raw = remove_raw(c, asg, [a, x], remove_policy="recycle")
    assert raw["IgnoredInstances"] == []
    # In the call: Removing, and the IPs already out of the whitelist
    m = members(c, asg)
    assert (m[a]["LifecycleState"], m[x]["LifecycleState"]) == ("Removing", "Removing")
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    advance(60)
    got = activity(c, raw["ScalingActivityId"])
    assert_successful(got, 1)
    assert sorted(members(c, asg)) == [b]
    # The AutoCreated instance is stopped, not released; it left the group (no group tag)
    ea = ecs_one(c, a)
    assert ea is not None
    assert ea["Status"] == "Stopped"
    assert ea["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["10.0.1.1"]
    assert all(t["TagKey"] != "acs:autoscaling:scalingGroupId" for t in ea["Tags"]["Tag"])
    # The Attached non-entrusted one is only removed
    assert ecs_status(c, x) == "Running"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"

    # The default policy (release) deletes an AutoCreated instance
    remove_raw(c, asg, [b], remove_policy="release")
    advance(60)
    assert ecs_one(c, b) is None
    assert whitelist(c, rm) == "127.0.0.1"


def test_remove_instances_recycle_entrusted(clients, advance, net, name):
    c = clients
    asg, _ = ready_group(c, net, name)
    (x,) = running_instances(c, advance, net, 1, name=name)
    attach(c, asg, [x], entrusted=True)
    advance(60)
    remove_raw(c, asg, [x], remove_policy="recycle")
    advance(60)
    assert members(c, asg) == {}
    assert ecs_status(c, x) == "Stopped"
    expect_error(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=[x], remove_policy="stop"),
        status=400,
        code="InvalidParameter",
        message=msg_invalid_parameter("RemovePolicy"),
    )


# ---- ScaleWithAdjustment SyncActivity ----

def test_scale_with_adjustment_sync_activity_on_desired_group(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, desired=0)
    # SyncActivity unset (false): only the desired capacity changes, in an activity done at once
    raw = scale_raw(c, asg, 2)
    assert raw["ActivityType"] == "CapacityChange"
    got = activity(c, raw["ScalingActivityId"])
    assert got["StatusCode"] == "Successful"
    assert got["Progress"] == 100
    assert got["Description"] == 'Change the Desired Capacity from "0" to "2"'
    assert got["StatusMessage"] == 'The Desired Capacity is changed to "2"'
    assert got["TriggerSourceType"] == "APIs"
    assert got["ScalingInstanceNumber"] == 0
    assert got["TotalCapacity"] == "0"
    # The group converges on its own, in a second activity (TriggerSourceType Ess)
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (2, 2)
    acts = group_activities(c, asg)
    assert [(a["TriggerSourceType"], a["StatusCode"]) for a in acts] == [("Ess", "InProgress"), ("APIs", "Successful")]
    assert acts[0]["Cause"] == 'The Desired Capacity is "2", changing the Total Capacity from "0" to "2".'
    assert {m["LifecycleState"] for m in members(c, asg).values()} == {"Pending"}
    advance(60)
    acts = group_activities(c, asg)
    assert_successful(acts[0], 2)
    assert {m["LifecycleState"] for m in members(c, asg).values()} == {"InService"}

    # SyncActivity=true: the scaling activity starts in the call
    raw = scale_raw(c, asg, -1, sync_activity=True)
    assert raw["ActivityType"] == "ScaleIn"
    got = activity(c, raw["ScalingActivityId"])
    assert got["StatusCode"] == "InProgress"
    assert sorted(m["LifecycleState"] for m in members(c, asg).values()) == ["InService", "Removing"]
    assert group(c, asg)["DesiredCapacity"] == 1
    advance(60)
    assert_successful(activity(c, raw["ScalingActivityId"]), 1)
    assert len(group_activities(c, asg)) == 3

    # No change is refused either way
    for sync in (None, True):
        expect_error(
            c.ess.scale_with_adjustment,
            ess_models.ScaleWithAdjustmentRequest(scaling_group_id=asg, adjustment_type="TotalCapacity",
                                                  adjustment_value=1, sync_activity=sync),
            status=400,
            code="IncorrectCapacity.NoChange",
        )
    assert len(group_activities(c, asg)) == 3


def test_scale_with_adjustment_sync_false_without_desired(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    raw = scale_raw(c, asg, 1, sync_activity=False)
    assert raw["ActivityType"] == "ScaleOut"
    assert activity(c, raw["ScalingActivityId"])["StatusCode"] == "InProgress"
    assert [m["LifecycleState"] for m in members(c, asg).values()] == ["Pending"]
    advance(60)
    assert_successful(activity(c, raw["ScalingActivityId"]), 1)


# ---- Tags ----

def test_group_tags_filter_and_propagation(clients, advance, net, name):
    c = clients
    tags = [
        ess_models.CreateScalingGroupRequestTags(key="env", value=f"{name}-prod", propagate=True),
        ess_models.CreateScalingGroupRequestTags(key="team", value="core"),
    ]
    raw = call(
        c.ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=name, min_size=0, max_size=5, v_switch_ids=[net.vsw_id], tags=tags
        ),
    )
    asg = raw["ScalingGroupId"]
    other = make_group(c, f"{name}-o", [net.vsw_id])
    assert group(c, asg)["Tags"] == [
        {"TagKey": "env", "TagValue": f"{name}-prod", "Propagate": True},
        {"TagKey": "team", "TagValue": "core", "Propagate": False},
    ]
    assert group(c, other)["Tags"] == []

    def by_tags(*pairs):
        r = call(
            c.ess.describe_scaling_groups,
            ess_models.DescribeScalingGroupsRequest(
                region_id=REGION, scaling_group_ids=[asg, other],
                tags=[ess_models.DescribeScalingGroupsRequestTags(key=k, value=v) for k, v in pairs],
            ),
        )
        assert r["TotalCount"] == len(r["ScalingGroups"])
        return [g["ScalingGroupId"] for g in r["ScalingGroups"]]

    assert by_tags(("env", f"{name}-prod")) == [asg]
    assert by_tags(("env", None)) == [asg]
    assert by_tags(("env", f"{name}-prod"), ("team", "core")) == [asg]
    assert by_tags(("env", "other")) == []
    assert by_tags(("env", f"{name}-prod"), ("team", "other")) == []
    assert sorted(by_tags()) == sorted([asg, other])

    make_config(c, asg, net.sg_id, f"{name}-cfg")
    call(c.ess.enable_scaling_group, ess_models.EnableScalingGroupRequest(scaling_group_id=asg))
    scale(c, asg, 1)
    advance(60)
    (iid,) = members(c, asg)
    inst = ecs_one(c, iid)
    # Only the Propagate=true tag reaches the instance, with the group's own system tag
    assert sorted((t["TagKey"], t["TagValue"]) for t in inst["Tags"]["Tag"]) == [
        ("acs:autoscaling:scalingGroupId", asg),
        ("env", f"{name}-prod"),
    ]


# ---- Quotas and bounds ----

def test_max_size_above_quota_is_invalid(clients, net, name):
    c = clients
    before = call(c.ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=REGION))["TotalCount"]
    for min_size, max_size, code in ((0, 2001, "InvalidParameter"), (2001, 2001, "InvalidParameter")):
        expect_error(
            c.ess.create_scaling_group,
            ess_models.CreateScalingGroupRequest(region_id=REGION, scaling_group_name=name, min_size=min_size,
                                                 max_size=max_size, v_switch_ids=[net.vsw_id]),
            status=400,
            code=code,
        )
    # 2000 itself is allowed
    asg = make_group(c, name, [net.vsw_id], max_size=2000)
    assert group(c, asg)["MaxSize"] == 2000
    after = call(c.ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=REGION))["TotalCount"]
    assert after == before + 1


def test_quota_scaling_group_per_region(clients, name):
    # A region of its own, so the other tests' groups do not count. Classic network (no vSwitch).
    c = clients
    region = "cn-zhangjiakou"

    def create(n):
        return call(c.ess.create_scaling_group, ess_models.CreateScalingGroupRequest(
            region_id=region, scaling_group_name=f"{name}-{n}", min_size=0, max_size=1))["ScalingGroupId"]

    ids = [create(n) for n in range(100)]
    expect_error(
        c.ess.create_scaling_group,
        ess_models.CreateScalingGroupRequest(region_id=region, scaling_group_name=f"{name}-x", min_size=0, max_size=1),
        status=400,
        code="QuotaExceeded.ScalingGroup",
        message="Scaling group quota exceeded.",
    )
    total = call(c.ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=region))["TotalCount"]
    assert total == 100
    # Another region has its own quota; deleting one frees a place
    call(c.ess.delete_scaling_group, ess_models.DeleteScalingGroupRequest(scaling_group_id=ids[0]))
    ids[0] = create("again")
    for asg in ids:
        call(c.ess.delete_scaling_group, ess_models.DeleteScalingGroupRequest(scaling_group_id=asg))
    total = call(c.ess.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(region_id=region))["TotalCount"]
    assert total == 0


def test_quota_scaling_rule_per_group(clients, net, name):
    c = clients
    asg = make_group(c, name, [net.vsw_id])
    for _ in range(50):
        create_rule(c, asg, 1)
    expect_error(
        c.ess.create_scaling_rule,
        ess_models.CreateScalingRuleRequest(scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity",
                                            adjustment_value=1),
        status=400,
        code="QuotaExceeded.ScalingRule",
        message="Scaling rule quota exceeded in the specified scaling group.",
    )
    raw = call(c.ess.describe_scaling_rules,
               ess_models.DescribeScalingRulesRequest(region_id=REGION, scaling_group_id=asg, page_size=50))
    assert raw["TotalCount"] == 50


# ---- Rejected ----

def test_rejected_activity_from_scheduled_task(clients, advance, server, net, name):
    # A scheduled task fires on a group that was disabled: the firing is refused and leaves a
    # Rejected activity naming the reason (ess-api.md §5.3); nothing else changes.
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 2)
    launch = next_minute_ms(clock_ms(server), 10)
    tid = create_task(c, scheduled_task_name=name, scheduled_action=ari, launch_time=minute_str(launch))
    disable_group(c, asg)
    advance_to(advance, server, launch + 30_000)
    acts = group_activities(c, asg)
    assert len(acts) == 1, acts
    a = acts[0]
    assert a["StatusCode"] == "Rejected"
    assert a["Description"] == f'Scheduled task "{tid}" is rejected'
    assert a["Cause"] == f'A scheduled task "{tid}" is triggered.'
    assert a["StatusMessage"] == MSG_GROUP_STATUS
    assert a["ErrorCode"] == "IncorrectScalingGroupStatus"
    assert a["ErrorMessage"] == MSG_GROUP_STATUS
    assert a["TriggerSourceType"] == "Ess"
    assert a["TriggerSourceId"] == tid
    assert a["StartTime"] == minute_str(launch)
    assert a["Progress"] == 100
    assert group(c, asg)["TotalCapacity"] == 0
    raw = call(
        c.ess.describe_scaling_activities,
        ess_models.DescribeScalingActivitiesRequest(region_id=REGION, scaling_group_id=asg, status_code="Rejected"),
    )
    assert [x["ScalingActivityId"] for x in raw["ScalingActivities"]] == [a["ScalingActivityId"]]
    delete_task(c, tid)
