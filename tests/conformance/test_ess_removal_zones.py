"""Which instances a scale-in removes (RemovalPolicies), where a scale-out puts them (MultiAZPolicy),
and the group converging to DesiredCapacity / MinSize / MaxSize.

Contract (ess-local, issue 3): removal policies OldestInstance, NewestInstance,
OldestScalingConfiguration (instances launched from an older configuration go first), set with
CreateScalingGroup / ModifyScalingGroup RemovalPolicies; default [OldestScalingConfiguration,
OldestInstance] (ess-api.md §2.1). MultiAZPolicy BALANCE spreads instances over the vSwitches' zones;
PRIORITY (the default) fills the first vSwitch. A group with DesiredCapacity converges to it;
raising MinSize above the total adds instances; lowering MaxSize below it removes the surplus by the
removal policies; each is an activity with TriggerSourceType "Ess" (ExecuteScalingRule ones: "APIs")."""
from __future__ import annotations

import collections

import pytest

from esl_helpers import (
    DEFAULT_REMOVAL_POLICIES,
    ZONE,
    activity,
    assert_successful,
    create_vswitch,
    group,
    instances,
    scale,
)
from esl_helpers3 import (
    ZONE_B,
    active_group,
    ecs_one,
    enable_group,
    group_activities,
    make_config,
    make_group,
    members,
    modify_group,
    states,
)


def three_generations(c, advance, net, name, removal):
    """A group with configurations A (older) and B (created 60 s later) and three instances made
    60 s apart: i1 from B, i2 from A, i3 from B. Returns (asg, A, B, [i1, i2, i3])."""
    asg = make_group(c, name, [net.vsw_id], removal=removal)
    cfg_a = make_config(c, asg, net.sg_id, f"{name}-a")
    advance(60)
    cfg_b = make_config(c, asg, net.sg_id, f"{name}-b")
    enable_group(c, asg)
    assert group(c, asg)["ActiveScalingConfigurationId"] == cfg_a
    made = []
    for cfg in (cfg_b, cfg_a, cfg_b):
        modify_group(c, asg, active_scaling_configuration_id=cfg)
        assert group(c, asg)["ActiveScalingConfigurationId"] == cfg
        before = set(members(c, asg))
        scale(c, asg, 1)
        advance(60)
        (new,) = set(members(c, asg)) - before
        made.append(new)
    m = members(c, asg)
    assert [m[i]["ScalingConfigurationId"] for i in made] == [cfg_b, cfg_a, cfg_b]
    return asg, cfg_a, cfg_b, made


@pytest.mark.parametrize(
    "removal, victim",
    [
        (["OldestInstance"], 0),
        (["NewestInstance"], 2),
        (["OldestScalingConfiguration"], 1),
        (None, 1),  # the default: OldestScalingConfiguration first
    ],
    ids=["OldestInstance", "NewestInstance", "OldestScalingConfiguration", "default"],
)
def test_scenario_removal_policy_picks_the_documented_instance(clients, advance, net, name, removal, victim):
    # Scenario 4
    c = clients
    asg, _, _, made = three_generations(c, advance, net, name, removal)
    assert group(c, asg)["RemovalPolicies"] == (removal or DEFAULT_REMOVAL_POLICIES)
    gone = made[victim]
    _, act = scale(c, asg, -1)
    assert states(c, asg) == {i: ("Removing" if i == gone else "InService") for i in made}
    advance(60)
    assert_successful(activity(c, act), 2)
    assert sorted(members(c, asg)) == sorted(i for i in made if i != gone)
    assert ecs_one(c, gone) is None


def test_removal_policies_set_by_modify(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    assert group(c, asg)["RemovalPolicies"] == DEFAULT_REMOVAL_POLICIES
    modify_group(c, asg, removal_policies=["NewestInstance"])
    assert group(c, asg)["RemovalPolicies"] == ["NewestInstance"]
    made = []
    for _ in range(3):
        before = set(members(c, asg))
        scale(c, asg, 1)
        advance(60)
        (new,) = set(members(c, asg)) - before
        made.append(new)
    scale(c, asg, -2)
    advance(60)
    assert sorted(members(c, asg)) == [made[0]]
    # Back to OldestInstance: of the two made next, the older one goes
    modify_group(c, asg, removal_policies=["OldestInstance"])
    assert group(c, asg)["RemovalPolicies"] == ["OldestInstance"]
    scale(c, asg, 1)
    advance(60)
    (fourth,) = set(members(c, asg)) - {made[0]}
    scale(c, asg, -1)
    advance(60)
    assert sorted(members(c, asg)) == [fourth]


def zone_spread(c, asg) -> collections.Counter:
    """How many members each vSwitch holds (from ECS), checking ScalingInstances.ZoneId agrees."""
    counts: collections.Counter = collections.Counter()
    for i in instances(c, asg):
        e = ecs_one(c, i["InstanceId"])
        assert e is not None
        assert i["ZoneId"] == e["ZoneId"], (i, e)
        counts[e["VpcAttributes"]["VSwitchId"]] += 1
    return counts


def test_multi_az_balance_spreads_instances(clients, advance, net, name):
    c = clients
    vsw_b = create_vswitch(c, net.vpc_id, "10.0.3.0/24", f"{name}-b", zone=ZONE_B)
    asg, _ = active_group(c, net, name, vsw_ids=[net.vsw_id, vsw_b], multi_az="BALANCE")
    assert group(c, asg)["MultiAZPolicy"] == "BALANCE"
    scale(c, asg, 4)
    advance(60)
    assert zone_spread(c, asg) == {net.vsw_id: 2, vsw_b: 2}
    assert collections.Counter(i["ZoneId"] for i in instances(c, asg)) == {ZONE: 2, ZONE_B: 2}


def test_multi_az_priority_fills_the_first_vswitch(clients, advance, net, name):
    c = clients
    vsw_b = create_vswitch(c, net.vpc_id, "10.0.3.0/24", f"{name}-b", zone=ZONE_B)
    # vsw_b first: PRIORITY follows the given order, not the ids or the zones
    asg, _ = active_group(c, net, name, vsw_ids=[vsw_b, net.vsw_id])
    assert group(c, asg)["MultiAZPolicy"] == "PRIORITY"
    assert group(c, asg)["VSwitchIds"] == [vsw_b, net.vsw_id]
    scale(c, asg, 4)
    advance(60)
    assert zone_spread(c, asg) == {vsw_b: 4}
    assert sorted(i["PrivateIpAddress"] for i in instances(c, asg)) == [
        "10.0.3.1", "10.0.3.2", "10.0.3.3", "10.0.3.4"
    ]


def test_desired_capacity_converges(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, desired=2, max_size=5)
    advance(60)
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"], g["ActiveCapacity"]) == (2, 2, 2)
    assert g["EnableDesiredCapacity"] is True
    acts = group_activities(c, asg)
    assert [(a["TriggerSourceType"], a["StatusCode"], a["TotalCapacity"]) for a in acts] == [("Ess", "Successful", "2")]

    first_two = set(members(c, asg))

    advance(60)  # the third instance is 60 s younger than the first two
    modify_group(c, asg, desired_capacity=3)
    advance(60)
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (3, 3)
    (third,) = set(members(c, asg)) - first_two

    modify_group(c, asg, desired_capacity=1)
    advance(60)
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (1, 1)
    # Default removal policies (one configuration, so OldestInstance decides): the newest stays
    assert sorted(members(c, asg)) == [third]
    acts = group_activities(c, asg)
    assert sorted((a["TriggerSourceType"], a["StatusCode"], a["TotalCapacity"]) for a in acts) == [
        ("Ess", "Successful", "1"), ("Ess", "Successful", "2"), ("Ess", "Successful", "3")
    ]


def test_modify_min_and_max_size_converge(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, max_size=5)
    made = []
    for _ in range(3):
        before = set(members(c, asg))
        scale(c, asg, 1)
        advance(60)
        (new,) = set(members(c, asg)) - before
        made.append(new)

    # Raising MinSize above the total adds instances
    modify_group(c, asg, min_size=4)
    advance(60)
    m = members(c, asg)
    assert len(m) == 4
    (fourth,) = set(m) - set(made)
    assert m[fourth]["CreationType"] == "AutoCreated"
    g = group(c, asg)
    assert (g["MinSize"], g["TotalCapacity"]) == (4, 4)

    # Lowering MaxSize below it removes the surplus, oldest first (default removal policies)
    modify_group(c, asg, min_size=0, max_size=2)
    advance(60)
    assert sorted(members(c, asg)) == sorted([made[2], fourth])
    g = group(c, asg)
    assert (g["MinSize"], g["MaxSize"], g["TotalCapacity"]) == (0, 2, 2)
    for gone in made[:2]:
        assert ecs_one(c, gone) is None

    acts = group_activities(c, asg)
    assert all(a["StatusCode"] == "Successful" for a in acts), acts
    assert sorted(a["TriggerSourceType"] for a in acts) == ["APIs", "APIs", "APIs", "Ess", "Ess"]
    ess = {a["TotalCapacity"] for a in acts if a["TriggerSourceType"] == "Ess"}
    assert ess == {"4", "2"}
