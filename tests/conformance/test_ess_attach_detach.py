"""AttachInstances, DetachInstances and RemoveInstances of existing ECS instances (2022 Tea SDK).

Contract (ess-local, issue 3):
- AttachInstances (InstanceIds.N <= 20, Entrusted): existing Running ECS instances of the group's VPC,
  not in another group. In the call the members exist as Pending, CreationType Attached, their IPs
  already in the associated RDS whitelists; after advance they are InService. Errors: group not
  Active 400 IncorrectScalingGroupStatus; activity in progress 400 ScalingActivityInProgress; unknown
  404 InvalidInstanceId.NotFound; in another group 400 InvalidInstanceId.InUse; not Running 400
  IncorrectInstanceStatus; another VPC 400 InvalidInstanceId.VPCMismatch; total + n > MaxSize 400
  IncorrectCapacity.MaxSize. A refused call changes nothing.
- DetachInstances: Removing, then out of the group; the ECS instance keeps running (even AutoCreated);
  the IP leaves the whitelists only with DetachOption=both. total - n < MinSize 400
  IncorrectCapacity.MinSize. DecreaseDesiredCapacity defaults to true (AlibabaCloudDocs/ess
  DetachInstances.md: false keeps the expected number, so the group adds an instance back).
- RemoveInstances: AutoCreated / Entrusted released; Attached non-entrusted only removed."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    MSG_ACTIVITY_IN_PROGRESS,
    activity,
    assert_successful,
    by_ip,
    create_config,
    create_group,
    create_net,
    create_rds,
    expect_error,
    group,
    instances,
    ready_group,
    remove,
    scale,
    whitelist,
)
from esl_helpers3 import (
    MSG_CAPACITY_MAX,
    MSG_CAPACITY_MIN,
    MSG_GROUP_STATUS,
    active_group,
    attach,
    attach_request,
    detach,
    ecs_status,
    group_activities,
    members,
    msg_instance_in_use,
    msg_instance_not_found,
    msg_instance_status,
    msg_vpc_mismatch,
    run_instances,
    running_instances,
    settle,
    stop_instance,
)


def test_attach_instances(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    a, b = running_instances(c, advance, net, 2, name=name)
    act = attach(c, asg, [a, b])

    # Inside the call: Pending, Attached, IPs already whitelisted (in the order given)
    m = members(c, asg)
    assert sorted(m) == sorted([a, b])
    for i in m.values():
        assert i["LifecycleState"] == "Pending"
        assert i["CreationType"] == "Attached"
        assert i["Entrusted"] is False
        assert i["ScalingGroupId"] == asg
        assert i["ScalingActivityId"] == act
    assert {i["PrivateIpAddress"] for i in m.values()} == {"10.0.1.1", "10.0.1.2"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    assert activity(c, act)["StatusCode"] == "InProgress"
    g = group(c, asg)
    assert (g["TotalCapacity"], g["PendingCapacity"], g["ActiveCapacity"]) == (2, 2, 0)

    advance(60)
    a_ = activity(c, act)
    assert_successful(a_, 2)
    assert a_["AttachedCapacity"] == "2"
    assert a_["AutoCreatedCapacity"] == "0"
    m = members(c, asg)
    for i in m.values():
        assert (i["LifecycleState"], i["HealthStatus"], i["CreationType"]) == ("InService", "Healthy", "Attached")
    g = group(c, asg)
    assert (g["TotalCapacity"], g["PendingCapacity"], g["ActiveCapacity"]) == (2, 0, 2)
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Running", "Running"]


def test_attach_entrusted(clients, advance, net, name):
    c = clients
    asg, _ = ready_group(c, net, name)
    (x,) = running_instances(c, advance, net, 1, name=name)
    attach(c, asg, [x], entrusted=True)
    advance(60)
    m = members(c, asg)[x]
    assert (m["CreationType"], m["Entrusted"], m["LifecycleState"]) == ("Attached", True, "InService")


def test_attach_errors_change_nothing(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm], max_size=3)
    scale(c, asg, 1)
    advance(60)
    (mine,) = [i["InstanceId"] for i in instances(c, asg)]  # 10.0.1.1
    good, spare, third, stopped = running_instances(c, advance, net, 4, name=name)  # .2 .3 .4 .5
    stop_instance(c, stopped)
    advance(3)
    assert ecs_status(c, stopped) == "Stopped"
    # A member of another group of the same VPC
    other, _ = ready_group(c, net, f"{name}-o")
    scale(c, other, 1)
    advance(60)
    (taken,) = [i["InstanceId"] for i in instances(c, other)]
    # An instance of another VPC
    net2 = create_net(c, f"{name}-n2")
    (foreign,) = running_instances(c, advance, net2, 1, name=f"{name}-f")
    (pending,) = run_instances(c, net, 1, name=f"{name}-p")  # not Running yet

    before_wl = whitelist(c, rm)
    assert before_wl == "127.0.0.1,10.0.1.1"
    before_acts = len(group_activities(c, asg))
    unknown = "i-doesnotexist00000000"
    cases = [
        ([unknown], 404, "InvalidInstanceId.NotFound", msg_instance_not_found(unknown)),
        # One bad instance refuses the whole call: the good one is not attached either
        ([good, unknown], 404, "InvalidInstanceId.NotFound", msg_instance_not_found(unknown)),
        ([taken], 400, "InvalidInstanceId.InUse", msg_instance_in_use(taken)),
        ([stopped], 400, "IncorrectInstanceStatus", msg_instance_status(stopped)),
        ([pending], 400, "IncorrectInstanceStatus", msg_instance_status(pending)),
        ([foreign], 400, "InvalidInstanceId.VPCMismatch", msg_vpc_mismatch(foreign)),
        # 1 member + 3 valid instances > MaxSize 3
        ([good, spare, third], 400, "IncorrectCapacity.MaxSize", MSG_CAPACITY_MAX),
    ]
    for ids, status, code, message in cases:
        expect_error(c.ess.attach_instances, attach_request(asg, ids), status=status, code=code, message=message)
        assert sorted(members(c, asg)) == [mine], ids
        assert whitelist(c, rm) == before_wl, ids
        assert len(group_activities(c, asg)) == before_acts, ids
    g = group(c, asg)
    assert (g["TotalCapacity"], g["PendingCapacity"]) == (1, 0)
    # The refused instances are untouched, and the good ones can still be attached
    assert [ecs_status(c, good), ecs_status(c, spare), ecs_status(c, foreign)] == ["Running"] * 3
    assert sorted(members(c, other)) == [taken]
    attach(c, asg, [good, spare])
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    advance(60)
    assert sorted(members(c, asg)) == sorted([mine, good, spare])


def test_attach_to_inactive_group_or_during_activity(clients, advance, net, name):
    c = clients
    (x,) = running_instances(c, advance, net, 1, name=name)
    # Not Active: created with a configuration but never enabled
    inactive = create_group(c, f"{name}-i", net.vsw_id)
    create_config(c, inactive, net.sg_id, f"{name}-i-cfg")
    expect_error(
        c.ess.attach_instances, attach_request(inactive, [x]), status=400, code="IncorrectScalingGroupStatus",
        message=MSG_GROUP_STATUS,
    )
    assert members(c, inactive) == {}
    # An activity in progress
    asg, _ = ready_group(c, net, name)
    scale(c, asg, 1)
    expect_error(
        c.ess.attach_instances, attach_request(asg, [x]), status=400, code="ScalingActivityInProgress",
        message=MSG_ACTIVITY_IN_PROGRESS,
    )
    assert x not in members(c, asg)
    advance(60)
    attach(c, asg, [x])
    advance(60)
    assert members(c, asg)[x]["LifecycleState"] == "InService"


def test_detach_keeps_instances_and_whitelist_unless_both(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    advance(60)
    ids = {ip: i["InstanceId"] for ip, i in by_ip(instances(c, asg)).items()}
    a, b = ids["10.0.1.1"], ids["10.0.1.2"]

    act = detach(c, asg, [a])
    assert members(c, asg)[a]["LifecycleState"] == "Removing"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    advance(60)
    assert_successful(activity(c, act), 1)
    assert sorted(members(c, asg)) == [b]
    assert ecs_status(c, a) == "Running"  # AutoCreated, but detached: not released
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"  # no DetachOption: the IP stays

    act = detach(c, asg, [b], option="both")
    advance(60)
    assert_successful(activity(c, act), 0)
    assert members(c, asg) == {}
    assert ecs_status(c, b) == "Running"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    assert group(c, asg)["TotalCapacity"] == 0

    # Detached instances belong to no group any more: another group may attach them
    other, _ = ready_group(c, net, f"{name}-o")
    attach(c, other, [a, b])
    advance(60)
    m = members(c, other)
    assert sorted(m) == sorted([a, b])
    assert {i["CreationType"] for i in m.values()} == {"Attached"}


def test_detach_below_min_size_is_refused(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, min_size=2, max_size=4)
    advance(60)
    m = members(c, asg)
    assert len(m) == 2
    before = len(group_activities(c, asg))
    expect_error(
        c.ess.detach_instances,
        ess_models.DetachInstancesRequest(scaling_group_id=asg, instance_ids=[next(iter(m))]),
        status=400,
        code="IncorrectCapacity.MinSize",
        message=MSG_CAPACITY_MIN,
    )
    assert members(c, asg) == m
    assert len(group_activities(c, asg)) == before
    for i in m:
        assert ecs_status(c, i) == "Running"


def test_detach_decrease_desired_capacity(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, desired=2, max_size=4)
    advance(60)
    a, b = sorted(members(c, asg))
    assert group(c, asg)["DesiredCapacity"] == 2

    # DecreaseDesiredCapacity=false: the expected number stays 2, so the group adds one back
    detach(c, asg, [a], decrease=False)
    settle(advance)
    m = members(c, asg)
    assert a not in m and b in m and len(m) == 2
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (2, 2)
    assert ecs_status(c, a) == "Running"

    # Default (true): the expected number goes down with the instance
    detach(c, asg, [b])
    settle(advance)
    m = members(c, asg)
    assert b not in m and len(m) == 1
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (1, 1)


def test_remove_instances_releases_only_autocreated_and_entrusted(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    x, y = running_instances(c, advance, net, 2, name=name)  # .1, .2
    attach(c, asg, [x])
    advance(60)
    attach(c, asg, [y], entrusted=True)
    advance(60)
    scale(c, asg, 1)  # .3
    advance(60)
    (auto,) = [i for i, m in members(c, asg).items() if m["CreationType"] == "AutoCreated"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"

    act = remove(c, asg, [x, y, auto])
    assert {i: m["LifecycleState"] for i, m in members(c, asg).items()} == {
        x: "Removing", y: "Removing", auto: "Removing"
    }
    assert whitelist(c, rm) == "127.0.0.1"
    advance(60)
    assert_successful(activity(c, act), 0)
    assert members(c, asg) == {}
    assert ecs_status(c, x) == "Running"  # Attached, not entrusted: only removed
    assert ecs_status(c, y) is None  # Entrusted: released
    assert ecs_status(c, auto) is None  # AutoCreated: released
    assert whitelist(c, rm) == "127.0.0.1"
