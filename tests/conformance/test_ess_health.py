"""The ESS health check: instances stopped, deleted or marked Unhealthy behind the group's back.

Contract (ess-local, issue 3): an InService member whose ECS instance is stopped or deleted outside
ESS, or marked Unhealthy with SetInstanceHealth, becomes Unhealthy and is removed by a scaling
activity (its IP leaves every associated RDS whitelist when that removal starts); AutoCreated and
Entrusted ones are released (gone from ECS), other Attached ones are only removed (still in ECS,
Stopped if they were stopped); then a replacement scale-out brings the group back to its previous
total (a new instance, a new IP in the whitelists). Protected and Standby members are not checked.
The check looks 5 s after the instance leaves Running / is deleted / is marked; the whole cycle is
done after advance(60) twice.

IP expectations follow the allocator of test_method2_v3.py: a fresh /24 starts at .1 and the cursor
moves on (a released address is not reused before wrap-around)."""
from __future__ import annotations

from esl_helpers import (
    by_ip,
    create_rds,
    ecs_instances,
    group,
    instances,
    ready_group,
    scale,
    whitelist,
)
from esl_helpers3 import (
    attach,
    delete_instance,
    ecs_status,
    enter_standby,
    group_activities,
    members,
    protect,
    running_instances,
    set_health,
    settle,
    states as states_of,
    stop_instance,
)


def two_instance_group(c, advance, net, name):
    """An RDS instance and an Active group associated with it, with two InService instances
    10.0.1.1 and 10.0.1.2; returns (rm, asg, {ip: instance id})."""
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    advance(60)
    ids = {ip: i["InstanceId"] for ip, i in by_ip(instances(c, asg)).items()}
    assert sorted(ids) == ["10.0.1.1", "10.0.1.2"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    return rm, asg, ids


def assert_replaced(c, asg, rm, gone: str, kept: dict[str, str], new_ip: str) -> str:
    """After the cycle: `gone` left the group, the `kept` {ip: id} are still there, one new
    AutoCreated InService instance has new_ip, and the whitelist is exactly kept + new."""
    insts = by_ip(instances(c, asg))
    assert sorted(insts) == sorted([*kept, new_ip]), insts
    for ip, iid in kept.items():
        assert insts[ip]["InstanceId"] == iid
    new = insts[new_ip]
    assert new["InstanceId"] != gone and new["InstanceId"] not in kept.values()
    assert (new["LifecycleState"], new["HealthStatus"], new["CreationType"]) == ("InService", "Healthy", "AutoCreated")
    for i in insts.values():
        assert (i["LifecycleState"], i["HealthStatus"]) == ("InService", "Healthy"), i
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ActiveCapacity"], g["PendingCapacity"], g["RemovingCapacity"]) == (
        len(insts), len(insts), 0, 0
    )
    assert whitelist(c, rm) == ",".join(["127.0.0.1", *kept, new_ip])
    acts = group_activities(c, asg)
    assert all(a["StatusCode"] == "Successful" for a in acts), acts
    return new["InstanceId"]


def test_health_check_timing_for_a_stopped_instance(clients, advance, net, name):
    c = clients
    rm, asg, ids = two_instance_group(c, advance, net, name)
    victim, other = ids["10.0.1.1"], ids["10.0.1.2"]
    acts_before = len(group_activities(c, asg))
    stop_instance(c, victim)
    assert ecs_status(c, victim) == "Stopping"
    # 3 s later: ECS has stopped it, but the health check (5 s) has not looked yet
    advance(3)
    assert ecs_status(c, victim) == "Stopped"
    m = members(c, asg)
    assert (m[victim]["LifecycleState"], m[victim]["HealthStatus"]) == ("InService", "Healthy")
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    assert len(group_activities(c, asg)) == acts_before
    settle(advance)
    assert_replaced(c, asg, rm, victim, {"10.0.1.2": other}, "10.0.1.3")
    # AutoCreated: released
    assert ecs_status(c, victim) is None
    assert len(group_activities(c, asg)) > acts_before


def test_scenario_deleted_instance_is_replaced_and_leaves_the_whitelist(clients, advance, net, name):
    # Scenario 1: an instance released behind the group's back (ECS DeleteInstance, Force).
    c = clients
    rm, asg, ids = two_instance_group(c, advance, net, name)
    victim, other = ids["10.0.1.1"], ids["10.0.1.2"]
    delete_instance(c, victim, force=True)
    settle(advance)
    new = assert_replaced(c, asg, rm, victim, {"10.0.1.2": other}, "10.0.1.3")
    assert ecs_instances(c, [victim]) == []
    assert ecs_status(c, new) == "Running"
    assert ecs_status(c, other) == "Running"


def test_set_instance_health_unhealthy_is_replaced(clients, advance, net, name):
    c = clients
    rm, asg, ids = two_instance_group(c, advance, net, name)
    victim, other = ids["10.0.1.1"], ids["10.0.1.2"]
    raw = set_health(c, victim, "Unhealthy")
    assert set(raw) >= {"RequestId"}
    m = members(c, asg)
    assert (m[victim]["HealthStatus"], m[victim]["LifecycleState"]) == ("Unhealthy", "InService")
    assert m[other]["HealthStatus"] == "Healthy"
    # Marking a healthy instance Healthy changes nothing
    set_health(c, other, "Healthy")
    # The check looks 5 s after the mark: at +4 s nothing has moved yet...
    advance(4)
    m = members(c, asg)
    assert (m[victim]["HealthStatus"], m[victim]["LifecycleState"]) == ("Unhealthy", "InService")
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2"
    # ...at +5.5 s the removal (1 s) has started: Removing, and the IP has left the whitelist
    advance(1.5)
    assert states_of(c, asg) == {victim: "Removing", other: "InService"}
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    settle(advance)
    assert_replaced(c, asg, rm, victim, {"10.0.1.2": other}, "10.0.1.3")
    assert ecs_status(c, victim) is None


def test_stopped_attached_instance_is_removed_not_released(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    (x,) = running_instances(c, advance, net, 1, name=name)
    attach(c, asg, [x])
    advance(60)
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1"
    stop_instance(c, x)
    settle(advance)
    insts = by_ip(instances(c, asg))
    assert sorted(insts) == ["10.0.1.2"]
    assert insts["10.0.1.2"]["InstanceId"] != x
    assert (insts["10.0.1.2"]["LifecycleState"], insts["10.0.1.2"]["CreationType"]) == ("InService", "AutoCreated")
    # Only removed: ECS still has it, stopped
    assert ecs_status(c, x) == "Stopped"
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"
    assert group(c, asg)["TotalCapacity"] == 1


def test_stopped_entrusted_instance_is_released(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    (x,) = running_instances(c, advance, net, 1, name=name)
    attach(c, asg, [x], entrusted=True)
    advance(60)
    assert members(c, asg)[x]["Entrusted"] is True
    stop_instance(c, x)
    settle(advance)
    insts = by_ip(instances(c, asg))
    assert sorted(insts) == ["10.0.1.2"]
    assert ecs_status(c, x) is None
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.2"


def test_protected_and_standby_members_are_not_health_checked(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 3)
    advance(60)
    ids = {ip: i["InstanceId"] for ip, i in by_ip(instances(c, asg)).items()}
    p, s, plain = ids["10.0.1.1"], ids["10.0.1.2"], ids["10.0.1.3"]
    protect(c, asg, [p], True)
    enter_standby(c, asg, [s])
    advance(60)
    stop_instance(c, p)
    stop_instance(c, s)
    acts_before = len(group_activities(c, asg))
    settle(advance)
    m = members(c, asg)
    assert sorted(m) == sorted([p, s, plain])
    # ess-api.md §5.2: Protected = health status frozen; Standby = health not updated
    assert (m[p]["LifecycleState"], m[p]["HealthStatus"]) == ("Protected", "Healthy")
    assert (m[s]["LifecycleState"], m[s]["HealthStatus"]) == ("Standby", "Healthy")
    assert (m[plain]["LifecycleState"], m[plain]["HealthStatus"]) == ("InService", "Healthy")
    assert [ecs_status(c, p), ecs_status(c, s), ecs_status(c, plain)] == ["Stopped", "Stopped", "Running"]
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    assert group(c, asg)["TotalCapacity"] == 3
    assert len(group_activities(c, asg)) == acts_before
