"""Scaling configurations (modify, delete, switch the active one, the quota) and scaling rules
(modify, delete, ScaleWithAdjustment arithmetic), 2022 Tea SDK.

Contract (ess-local, issue 3) and ess-api.md §2.2, §2.3, §4, §5.1: ModifyScalingConfiguration
(ImageId, InstanceTypes.N, ScalingConfigurationName; a duplicate name is 400
InvalidScalingConfigurationName.Duplicate); DeleteScalingConfiguration of the active one is 400
IncorrectScalingConfigurationLifecycleState, of one with instances 400 InstanceInUse, of an unknown
one 404 InvalidScalingConfigurationId.NotFound; at most 10 configurations per group (400
QuotaExceeded.ScalingConfiguration). ScaleWithAdjustment: PercentChangeInCapacity rounds,
MinAdjustmentMagnitude raises a small change, the result is clamped to [MinSize, MaxSize], no change
is 400 IncorrectCapacity.NoChange; ActivityMetadata is echoed; TriggerSourceType "APIs"."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    IMAGE_ID,
    INSTANCE_TYPE,
    MSG_ACTIVITY_IN_PROGRESS,
    MSG_GROUP_NOT_FOUND,
    MSG_INSTANCE_IN_USE,
    REGION,
    activity,
    assert_successful,
    call,
    cause_execute,
    create_config,
    create_group,
    create_rule,
    execute,
    expect_error,
    group,
    remove,
    scale,
)
from esl_helpers3 import (
    MSG_CONFIG_NOT_FOUND,
    MSG_CONFIG_STATE,
    MSG_GROUP_STATUS,
    MSG_NO_CHANGE,
    MSG_RULE_ARI_NOT_FOUND,
    MSG_RULE_NOT_FOUND,
    OTHER_IMAGE_ID,
    active_group,
    configs,
    disable_group,
    ecs_one,
    enable_group,
    make_config,
    make_group,
    members,
    modify_group,
    rules_by_id,
    scale_with,
)


# ------------------------------------------------------------------------------------------------
# Configurations

def test_modify_scaling_configuration(clients, advance, net, name):
    c = clients
    asg, asc = active_group(c, net, name)
    scale(c, asg, 1)
    advance(60)
    (first,) = members(c, asg)
    raw = call(
        c.ess.modify_scaling_configuration,
        ess_models.ModifyScalingConfigurationRequest(
            scaling_configuration_id=asc,
            image_id=OTHER_IMAGE_ID,
            instance_types=["ecs.c7.large", "ecs.g7.xlarge"],
            scaling_configuration_name=f"{name}-renamed",
        ),
    )
    assert set(raw) >= {"RequestId"}
    cfg = configs(c, asg)[asc]
    assert cfg["ImageId"] == OTHER_IMAGE_ID
    assert cfg["InstanceTypes"] == ["ecs.c7.large", "ecs.g7.xlarge"]
    assert cfg["ScalingConfigurationName"] == f"{name}-renamed"
    assert cfg["LifecycleState"] == "Active"
    assert cfg["SecurityGroupId"] == net.sg_id  # untouched fields stay

    # New instances use the new values (the first of InstanceTypes has the highest priority, per the
    # CreateScalingConfiguration docs); existing instances are not changed.
    scale(c, asg, 1)
    advance(60)
    (second,) = set(members(c, asg)) - {first}
    e2, e1 = ecs_one(c, second), ecs_one(c, first)
    assert (e2["ImageId"], e2["InstanceType"]) == (OTHER_IMAGE_ID, "ecs.c7.large")
    assert (e1["ImageId"], e1["InstanceType"]) == (IMAGE_ID, INSTANCE_TYPE)

    # A name already used by another configuration of the group
    other = make_config(c, asg, net.sg_id, f"{name}-other")
    expect_error(
        c.ess.modify_scaling_configuration,
        ess_models.ModifyScalingConfigurationRequest(
            scaling_configuration_id=other, scaling_configuration_name=f"{name}-renamed"
        ),
        status=400,
        code="InvalidScalingConfigurationName.Duplicate",
    )
    assert configs(c, asg)[other]["ScalingConfigurationName"] == f"{name}-other"
    # Unknown configuration
    expect_error(
        c.ess.modify_scaling_configuration,
        ess_models.ModifyScalingConfigurationRequest(scaling_configuration_id="asc-doesnotexist0000000", image_id=IMAGE_ID),
        status=404,
        code="InvalidScalingConfigurationId.NotFound",
        message=MSG_CONFIG_NOT_FOUND,
    )


def test_delete_scaling_configuration(clients, advance, net, name):
    c = clients
    asg, cfg_a = active_group(c, net, name)
    scale(c, asg, 1)
    advance(60)
    (inst,) = members(c, asg)
    cfg_b = make_config(c, asg, net.sg_id, f"{name}-b")
    assert {k: v["LifecycleState"] for k, v in configs(c, asg).items()} == {cfg_a: "Active", cfg_b: "Inactive"}

    def delete(asc):
        return ess_models.DeleteScalingConfigurationRequest(scaling_configuration_id=asc)

    # The active one
    expect_error(c.ess.delete_scaling_configuration, delete(cfg_a), status=400,
                 code="IncorrectScalingConfigurationLifecycleState", message=MSG_CONFIG_STATE)
    modify_group(c, asg, active_scaling_configuration_id=cfg_b)
    assert {k: v["LifecycleState"] for k, v in configs(c, asg).items()} == {cfg_a: "Inactive", cfg_b: "Active"}
    assert group(c, asg)["ActiveScalingConfigurationId"] == cfg_b
    # Inactive, but an instance was launched from it
    expect_error(c.ess.delete_scaling_configuration, delete(cfg_a), status=400, code="InstanceInUse",
                 message=MSG_INSTANCE_IN_USE)
    # Unknown
    expect_error(c.ess.delete_scaling_configuration, delete("asc-doesnotexist0000000"), status=404,
                 code="InvalidScalingConfigurationId.NotFound", message=MSG_CONFIG_NOT_FOUND)
    assert sorted(configs(c, asg)) == sorted([cfg_a, cfg_b])

    remove(c, asg, [inst])
    advance(60)
    raw = call(c.ess.delete_scaling_configuration, delete(cfg_a))
    assert set(raw) >= {"RequestId"}
    assert sorted(configs(c, asg)) == [cfg_b]
    expect_error(c.ess.delete_scaling_configuration, delete(cfg_a), status=404,
                 code="InvalidScalingConfigurationId.NotFound", message=MSG_CONFIG_NOT_FOUND)


def test_switch_active_configuration_with_enable(clients, advance, net, name):
    c = clients
    asg = make_group(c, name, [net.vsw_id])
    cfg_a = make_config(c, asg, net.sg_id, f"{name}-a")
    cfg_b = make_config(c, asg, net.sg_id, f"{name}-b")
    enable_group(c, asg, active=cfg_b)
    assert group(c, asg)["ActiveScalingConfigurationId"] == cfg_b
    assert {k: v["LifecycleState"] for k, v in configs(c, asg).items()} == {cfg_a: "Inactive", cfg_b: "Active"}
    scale(c, asg, 1)
    advance(60)
    assert {m["ScalingConfigurationId"] for m in members(c, asg).values()} == {cfg_b}

    disable_group(c, asg)
    enable_group(c, asg, active=cfg_a)
    g = group(c, asg)
    assert (g["LifecycleState"], g["ActiveScalingConfigurationId"]) == ("Active", cfg_a)
    assert {k: v["LifecycleState"] for k, v in configs(c, asg).items()} == {cfg_a: "Active", cfg_b: "Inactive"}
    before = set(members(c, asg))
    scale(c, asg, 1)
    advance(60)
    (new,) = set(members(c, asg)) - before
    assert members(c, asg)[new]["ScalingConfigurationId"] == cfg_a
    # Unknown configuration id
    expect_error(
        c.ess.modify_scaling_group,
        ess_models.ModifyScalingGroupRequest(scaling_group_id=asg, active_scaling_configuration_id="asc-doesnotexist0000000"),
        status=404,
        code="InvalidScalingConfigurationId.NotFound",
        message=MSG_CONFIG_NOT_FOUND,
    )
    assert group(c, asg)["ActiveScalingConfigurationId"] == cfg_a


def test_scaling_configuration_quota(clients, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    made = [create_config(c, asg, net.sg_id, f"{name}-{i}") for i in range(10)]
    expect_error(
        c.ess.create_scaling_configuration,
        ess_models.CreateScalingConfigurationRequest(
            scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=net.sg_id,
            scaling_configuration_name=f"{name}-10",
        ),
        status=400,
        code="QuotaExceeded.ScalingConfiguration",
        message="Scaling configuration quota exceeded in the specified scaling group.",
    )
    assert sorted(configs(c, asg)) == sorted(made)


# ------------------------------------------------------------------------------------------------
# Rules

def test_modify_and_delete_scaling_rule(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    asr, ari = create_rule(c, asg, 1)
    raw = call(c.ess.modify_scaling_rule, ess_models.ModifyScalingRuleRequest(scaling_rule_id=asr, adjustment_value=3))
    assert set(raw) >= {"RequestId"}
    r = rules_by_id(c, [asr])[asr]
    assert (r["AdjustmentType"], r["AdjustmentValue"], r["ScalingRuleAri"]) == ("QuantityChangeInCapacity", 3, ari)
    act = execute(c, ari)
    advance(60)
    a = activity(c, act)
    assert_successful(a, 3)
    assert a["Cause"] == cause_execute(asr, 0, 3)

    # Change the type too: TotalCapacity 1
    call(c.ess.modify_scaling_rule, ess_models.ModifyScalingRuleRequest(
        scaling_rule_id=asr, adjustment_type="TotalCapacity", adjustment_value=1))
    r = rules_by_id(c, [asr])[asr]
    assert (r["AdjustmentType"], r["AdjustmentValue"]) == ("TotalCapacity", 1)
    execute(c, ari)
    advance(60)
    assert group(c, asg)["TotalCapacity"] == 1

    raw = call(c.ess.delete_scaling_rule, ess_models.DeleteScalingRuleRequest(region_id=REGION, scaling_rule_id=asr))
    assert set(raw) >= {"RequestId"}
    assert rules_by_id(c, [asr]) == {}
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=404,
        code="InvalidScalingRuleAri.NotFound",
        message=MSG_RULE_ARI_NOT_FOUND,
    )
    # ess-api.md §4: Create/ModifyScalingRule -> InvalidScalingRuleId.NotFound (404)
    expect_error(
        c.ess.modify_scaling_rule,
        ess_models.ModifyScalingRuleRequest(scaling_rule_id=asr, adjustment_value=2),
        status=404,
        code="InvalidScalingRuleId.NotFound",
        message=MSG_RULE_NOT_FOUND,
    )
    expect_error(
        c.ess.delete_scaling_rule,
        ess_models.DeleteScalingRuleRequest(region_id=REGION, scaling_rule_id=asr),
        status=404,
        code="InvalidScalingRuleId.NotFound",
        message=MSG_RULE_NOT_FOUND,
    )
    assert group(c, asg)["TotalCapacity"] == 1


def test_scale_with_adjustment_activity_and_metadata(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    meta = '{"reason":"conformance","n":2}'
    act = scale_with(c, asg, "QuantityChangeInCapacity", 2, metadata=meta, sync=True)
    a = activity(c, act)
    assert a["StatusCode"] == "InProgress"
    assert a["ActivityMetadata"] == meta
    assert a["TriggerSourceType"] == "APIs"
    assert {m["LifecycleState"] for m in members(c, asg).values()} == {"Pending"}
    assert len(members(c, asg)) == 2
    # ess-api.md §2.3: no activity may be in progress
    expect_error(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity",
                                              adjustment_value=1),
        status=400,
        code="ScalingActivityInProgress",
        message=MSG_ACTIVITY_IN_PROGRESS,
    )
    advance(60)
    a = activity(c, act)
    assert_successful(a, 2)
    assert a["ActivityMetadata"] == meta
    assert {m["LifecycleState"] for m in members(c, asg).values()} == {"InService"}

    # ExecuteScalingRule activities are "APIs" too; without metadata none is echoed
    _, act2 = scale(c, asg, 1)
    advance(60)
    a2 = activity(c, act2)
    assert a2["TriggerSourceType"] == "APIs"
    assert a2.get("ActivityMetadata") in (None, "")


def test_scale_with_adjustment_arithmetic(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name, min_size=1, max_size=10)
    advance(60)  # converges to MinSize 1
    steps = [
        # (type, value, MinAdjustmentMagnitude, expected total)
        ("TotalCapacity", 4, None, 4),
        ("PercentChangeInCapacity", 40, None, 6),    # 4 * 40% = 1.6 -> 2 (rounded, not truncated)
        ("PercentChangeInCapacity", -30, None, 4),   # 6 * -30% = -1.8 -> -2
        ("PercentChangeInCapacity", 30, None, 5),    # 4 * 30% = 1.2 -> 1 (rounded, not ceiled)
        ("PercentChangeInCapacity", 10, 2, 7),       # 5 * 10% = 0.5 -> raised to MinAdjustmentMagnitude 2
        ("PercentChangeInCapacity", 100, None, 10),  # 14, clamped to MaxSize 10
        ("QuantityChangeInCapacity", -20, None, 1),  # -10, clamped to MinSize 1
    ]
    for kind, value, magnitude, expected in steps:
        act = scale_with(c, asg, kind, value, magnitude=magnitude)
        advance(60)
        a = activity(c, act)
        assert_successful(a, expected)
        assert group(c, asg)["TotalCapacity"] == expected, (kind, value)
        assert len(members(c, asg)) == expected
    # Already at MinSize: no change
    for kind, value in (("QuantityChangeInCapacity", -1), ("TotalCapacity", 1), ("PercentChangeInCapacity", -50)):
        expect_error(
            c.ess.scale_with_adjustment,
            ess_models.ScaleWithAdjustmentRequest(scaling_group_id=asg, adjustment_type=kind, adjustment_value=value),
            status=400,
            code="IncorrectCapacity.NoChange",
            message=MSG_NO_CHANGE,
        )
    assert group(c, asg)["TotalCapacity"] == 1


def test_scale_with_adjustment_errors(clients, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    create_config(c, asg, net.sg_id, f"{name}-cfg")
    expect_error(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity",
                                              adjustment_value=1),
        status=400,
        code="IncorrectScalingGroupStatus",
        message=MSG_GROUP_STATUS,
    )
    expect_error(
        c.ess.scale_with_adjustment,
        ess_models.ScaleWithAdjustmentRequest(scaling_group_id="asg-doesnotexist0000000",
                                              adjustment_type="QuantityChangeInCapacity", adjustment_value=1),
        status=404,
        code="InvalidScalingGroupId.NotFound",
        message=MSG_GROUP_NOT_FOUND,
    )
    assert group(c, asg)["TotalCapacity"] == 0
