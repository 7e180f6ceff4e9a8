"""SetInstancesProtection, EnterStandby / ExitStandby and SetInstanceHealth (2022 Tea SDK).

Contract (ess-local, issue 3): SetInstancesProtection ProtectedFromScaleIn True/False switches
InService <-> Protected; Protected members are never chosen for scale-in. EnterStandby / ExitStandby
switch InService <-> Standby and return a ScalingActivityId; whitelists are untouched; Standby is
never auto-removed. Error codes not in the contract come from ess-api.md §4 and the
AlibabaCloudDocs/ess API reference (cited where used)."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    activity,
    assert_successful,
    by_ip,
    cause_execute,
    create_rds,
    ecs_instances,
    expect_error,
    group,
    instances,
    ready_group,
    scale,
    whitelist,
)
from esl_helpers3 import (
    MSG_GROUP_STATUS,
    disable_group,
    ecs_status,
    enter_standby,
    exit_standby,
    members,
    msg_instance_not_found,
    msg_invalid_parameter,
    protect,
    states,
)


def test_set_instances_protection_toggles_protected(clients, advance, net, name):
    c = clients
    asg, _ = ready_group(c, net, name)
    scale(c, asg, 2)
    advance(60)
    a, b = sorted(members(c, asg))
    raw = protect(c, asg, [a], True)
    assert set(raw) >= {"RequestId"}
    assert states(c, asg) == {a: "Protected", b: "InService"}
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ProtectedCapacity"]) == (2, 1)
    protect(c, asg, [a, b], True)
    assert states(c, asg) == {a: "Protected", b: "Protected"}
    assert group(c, asg)["ProtectedCapacity"] == 2
    protect(c, asg, [a, b], False)
    assert states(c, asg) == {a: "InService", b: "InService"}
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ProtectedCapacity"]) == (2, 0)
    # Protection changes neither the ECS instances nor their health
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Running", "Running"]
    assert {i["HealthStatus"] for i in instances(c, asg)} == {"Healthy"}


def test_scenario_protected_instance_survives_scale_in(clients, advance, net, name):
    # Scenario 2. Two instances created 60 virtual seconds apart; the default removal policies
    # (OldestScalingConfiguration tie, then OldestInstance) would pick the older one, 10.0.1.1.
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 1)
    advance(60)
    scale(c, asg, 1)
    advance(60)
    ids = {ip: i["InstanceId"] for ip, i in by_ip(instances(c, asg)).items()}
    old, new = ids["10.0.1.1"], ids["10.0.1.2"]
    protect(c, asg, [old], True)

    asr, act = scale(c, asg, -1)
    assert states(c, asg) == {old: "Protected", new: "Removing"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    assert activity(c, act)["Cause"] == cause_execute(asr, 2, 1)
    advance(60)
    assert_successful(activity(c, act), 1)
    assert states(c, asg) == {old: "Protected"}
    assert ecs_instances(c, [new]) == []
    assert ecs_status(c, old) == "Running"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"


def test_enter_and_exit_standby(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 1)
    advance(60)
    scale(c, asg, 1)
    advance(60)
    ids = {ip: i["InstanceId"] for ip, i in by_ip(instances(c, asg)).items()}
    s, other = ids["10.0.1.1"], ids["10.0.1.2"]

    act = enter_standby(c, asg, [s])
    assert activity(c, act)["ScalingGroupId"] == asg
    advance(60)
    assert activity(c, act)["StatusCode"] == "Successful"
    assert states(c, asg) == {s: "Standby", other: "InService"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    g = group(c, asg)
    assert (g["TotalCapacity"], g["StandbyCapacity"]) == (2, 1)
    assert ecs_status(c, s) == "Running"

    # Standby is never chosen for scale-in: the newer InService instance goes instead
    _, act_in = scale(c, asg, -1)
    assert states(c, asg) == {s: "Standby", other: "Removing"}
    advance(60)
    assert_successful(activity(c, act_in), 1)
    assert states(c, asg) == {s: "Standby"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"

    act = exit_standby(c, asg, [s])
    assert act.startswith("asa-")
    advance(60)
    assert states(c, asg) == {s: "InService"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    g = group(c, asg)
    assert (g["TotalCapacity"], g["StandbyCapacity"], g["ActiveCapacity"]) == (1, 0, 1)


def test_protection_standby_and_health_errors(clients, advance, net, name):
    c = clients
    asg, _ = ready_group(c, net, name)
    scale(c, asg, 1)
    advance(60)
    (iid,) = members(c, asg)
    unknown = "i-doesnotexist00000000"
    # ess-api.md §4: EnterStandby / ExitStandby -> InvalidInstanceId.NotFound (404 in the table)
    expect_error(
        c.ess.enter_standby,
        ess_models.EnterStandbyRequest(scaling_group_id=asg, instance_ids=[unknown]),
        status=404,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(unknown),
    )
    expect_error(
        c.ess.exit_standby,
        ess_models.ExitStandbyRequest(scaling_group_id=asg, instance_ids=[unknown]),
        status=404,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(unknown),
    )
    # AlibabaCloudDocs/ess SetInstanceHealth.md: 400 InvalidInstanceId.NotFound
    # `Instance "%s" does not exist.`, and 400 InvalidParameter for a bad HealthStatus.
    expect_error(
        c.ess.set_instance_health,
        ess_models.SetInstanceHealthRequest(instance_id=unknown, health_status="Unhealthy"),
        status=400,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(unknown),
    )
    expect_error(
        c.ess.set_instance_health,
        ess_models.SetInstanceHealthRequest(instance_id=iid, health_status="Sick"),
        status=400,
        code="InvalidParameter",
        message=msg_invalid_parameter("HealthStatus"),
    )
    assert members(c, asg)[iid]["HealthStatus"] == "Healthy"
    # AlibabaCloudDocs/ess SetInstancesProtection.md: 404 InvalidInstanceId.NotFound `Instance "XXX" does not exist.`
    expect_error(
        c.ess.set_instances_protection,
        ess_models.SetInstancesProtectionRequest(scaling_group_id=asg, instance_ids=[unknown], protected_from_scale_in=True),
        status=404,
        code="InvalidInstanceId.NotFound",
        message=msg_instance_not_found(unknown),
    )
    # ess-api.md §4: SetInstancesProtection -> IncorrectScalingGroupStatus when the group is not Active
    disable_group(c, asg)
    expect_error(
        c.ess.set_instances_protection,
        ess_models.SetInstancesProtectionRequest(scaling_group_id=asg, instance_ids=[iid], protected_from_scale_in=True),
        status=400,
        code="IncorrectScalingGroupStatus",
        message=MSG_GROUP_STATUS,
    )
    assert states(c, asg) == {iid: "InService"}
