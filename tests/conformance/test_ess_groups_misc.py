"""Groups: deletion protection, DescribeLimitation, DescribeScalingActivityDetail, activity fields and
pagination of the Describe* actions (2022 Tea SDK).

Contract (ess-local, issue 3). The code for deleting a deletion-protected group is undocumented
(ess-api.md §4: "The code for a deletion-protected group is undocumented [INF]"; the api-meta and
the AlibabaCloudDocs/ess DeleteScalingGroup page list none), so the contract's
`OperationDenied.GroupDeletionProtection` (400) is expected."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    MINUTE_TIME,
    REGION,
    activity,
    call,
    create_config,
    create_group,
    create_rule,
    expect_error,
    group,
    scale,
)
from esl_helpers3 import (
    active_group,
    configs,
    members,
)

LIMITS = (
    "MaxNumberOfAlbServerGroup",
    "MaxNumberOfDBInstances",
    "MaxNumberOfLifecycleHooks",
    "MaxNumberOfLoadBalancers",
    "MaxNumberOfMaxSize",
    "MaxNumberOfMinSize",
    "MaxNumberOfNlbServerGroup",
    "MaxNumberOfNotificationConfigurations",
    "MaxNumberOfScalingConfigurations",
    "MaxNumberOfScalingGroups",
    "MaxNumberOfScalingInstances",
    "MaxNumberOfScalingRules",
    "MaxNumberOfScheduledTasks",
    "MaxNumberOfVServerGroups",
)


def test_group_deletion_protection(clients, advance, net, name):
    c = clients
    asg = create_group(c, name, net.vsw_id)
    assert group(c, asg)["GroupDeletionProtection"] is False
    raw = call(
        c.ess.set_group_deletion_protection,
        ess_models.SetGroupDeletionProtectionRequest(region_id=REGION, scaling_group_id=asg, group_deletion_protection=True),
    )
    assert set(raw) >= {"RequestId"}
    assert group(c, asg)["GroupDeletionProtection"] is True
    for force in (None, True):
        expect_error(
            c.ess.delete_scaling_group,
            ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg, force_delete=force),
            status=400,
            code="OperationDenied.GroupDeletionProtection",  # undocumented; the contract's choice
        )
    advance(60)
    assert group(c, asg)["LifecycleState"] == "Inactive"

    call(
        c.ess.set_group_deletion_protection,
        ess_models.SetGroupDeletionProtectionRequest(region_id=REGION, scaling_group_id=asg, group_deletion_protection=False),
    )
    assert group(c, asg)["GroupDeletionProtection"] is False
    call(c.ess.delete_scaling_group, ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg))
    advance(60)
    raw = call(c.ess.describe_scaling_groups,
               ess_models.DescribeScalingGroupsRequest(region_id=REGION, scaling_group_ids=[asg]))
    assert raw["ScalingGroups"] == [] and raw["TotalCount"] == 0


def test_group_deletion_protection_at_create_and_modify(clients, advance, net, name):
    c = clients
    raw = call(c.ess.create_scaling_group, ess_models.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name=name, min_size=0, max_size=1, v_switch_ids=[net.vsw_id],
        group_deletion_protection=True))
    asg = raw["ScalingGroupId"]
    assert group(c, asg)["GroupDeletionProtection"] is True
    expect_error(
        c.ess.delete_scaling_group,
        ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg),
        status=400,
        code="OperationDenied.GroupDeletionProtection",
    )
    call(c.ess.modify_scaling_group,
         ess_models.ModifyScalingGroupRequest(scaling_group_id=asg, group_deletion_protection=False))
    assert group(c, asg)["GroupDeletionProtection"] is False
    call(c.ess.delete_scaling_group, ess_models.DeleteScalingGroupRequest(region_id=REGION, scaling_group_id=asg))
    advance(60)


def test_set_group_deletion_protection_unknown_group(clients):
    expect_error(
        clients.ess.set_group_deletion_protection,
        ess_models.SetGroupDeletionProtectionRequest(
            region_id=REGION, scaling_group_id="asg-doesnotexist0000000", group_deletion_protection=True
        ),
        status=404,
        code="InvalidScalingGroupId.NotFound",
        message="The specified scaling group does not exist.",
    )


def test_describe_limitation(clients):
    raw = call(clients.ess.describe_limitation, ess_models.DescribeLimitationRequest())
    for k in LIMITS:
        assert k in raw, f"DescribeLimitation lacks {k}: {raw}"
        assert type(raw[k]) is int and raw[k] > 0, (k, raw[k])
    assert raw["MaxNumberOfMaxSize"] == 2000
    # The per-group configuration quota enforced by CreateScalingConfiguration (10)
    assert raw["MaxNumberOfScalingConfigurations"] == 10


def test_describe_scaling_activity_detail_and_fields(clients, advance, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, act = scale(c, asg, 2)
    a = activity(c, act)
    assert (a["StatusCode"], a["Progress"]) == ("InProgress", 0)
    assert MINUTE_TIME.match(a["StartTime"]), a
    advance(60)
    a = activity(c, act)
    assert (a["StatusCode"], a["Progress"]) == ("Successful", 100)
    assert MINUTE_TIME.match(a["EndTime"]), a
    assert a["StartTime"] <= a["EndTime"]
    assert a["ScalingInstanceNumber"] == 2
    assert a["Description"] == 'Add "2" ECS instances'  # ess-api.md §3.3 doc sample text
    assert sorted(a["CreatedInstances"]) == sorted(members(c, asg))

    raw = call(c.ess.describe_scaling_activity_detail,
               ess_models.DescribeScalingActivityDetailRequest(scaling_activity_id=act))
    assert raw["ScalingActivityId"] == act
    assert isinstance(raw["Detail"], str)
    # ess-api.md §4: DescribeScalingActivityDetail -> InvalidParameter (ScalingActivityId)
    expect_error(
        c.ess.describe_scaling_activity_detail,
        ess_models.DescribeScalingActivityDetailRequest(scaling_activity_id="asa-doesnotexist0000000"),
        status=400,
        code="InvalidParameter",
    )


# ------------------------------------------------------------------------------------------------
# Pagination

def pages(fetch, key: str, total: int, size: int) -> list[str]:
    """Walk every page of size `size`; each page reports TotalCount/PageNumber/PageSize; returns ids."""
    seen: list[str] = []
    n_pages = -(-total // size)
    for number in range(1, n_pages + 2):
        raw = fetch(number, size)
        assert (raw["TotalCount"], raw["PageNumber"], raw["PageSize"]) == (total, number, size), raw
        expect = min(size, max(total - (number - 1) * size, 0))
        assert len(raw[key]) == expect, (number, raw)
        seen.extend(raw[key])
    return seen


def test_pagination(clients, advance, net, name):
    c = clients
    e = c.ess
    asgs = [create_group(c, f"{name}-{i}", net.vsw_id) for i in range(3)]
    got = pages(lambda n, s: call(e.describe_scaling_groups, ess_models.DescribeScalingGroupsRequest(
        region_id=REGION, scaling_group_ids=asgs, page_number=n, page_size=s)), "ScalingGroups", 3, 2)
    assert sorted(g["ScalingGroupId"] for g in got) == sorted(asgs)

    asg = asgs[0]
    cfgs = [create_config(c, asg, net.sg_id, f"{name}-c{i}") for i in range(3)]
    got = pages(lambda n, s: call(e.describe_scaling_configurations, ess_models.DescribeScalingConfigurationsRequest(
        region_id=REGION, scaling_group_id=asg, page_number=n, page_size=s)), "ScalingConfigurations", 3, 2)
    assert sorted(x["ScalingConfigurationId"] for x in got) == sorted(cfgs) == sorted(configs(c, asg))

    call(e.enable_scaling_group, ess_models.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg))
    rules = [create_rule(c, asg, 1)[0] for _ in range(3)]
    got = pages(lambda n, s: call(e.describe_scaling_rules, ess_models.DescribeScalingRulesRequest(
        region_id=REGION, scaling_group_id=asg, page_number=n, page_size=s)), "ScalingRules", 3, 2)
    assert sorted(x["ScalingRuleId"] for x in got) == sorted(rules)

    acts = []
    for _ in range(3):
        acts.append(scale(c, asg, 1)[1])
        advance(60)
    got = pages(lambda n, s: call(e.describe_scaling_activities, ess_models.DescribeScalingActivitiesRequest(
        region_id=REGION, scaling_group_id=asg, page_number=n, page_size=s)), "ScalingActivities", 3, 2)
    assert sorted(x["ScalingActivityId"] for x in got) == sorted(acts)

    got = pages(lambda n, s: call(e.describe_scaling_instances, ess_models.DescribeScalingInstancesRequest(
        region_id=REGION, scaling_group_id=asg, page_number=n, page_size=s)), "ScalingInstances", 3, 2)
    assert sorted(x["InstanceId"] for x in got) == sorted(members(c, asg))
    # Defaults (ess-api.md §2): PageNumber 1, PageSize 10
    raw = call(e.describe_scaling_instances,
               ess_models.DescribeScalingInstancesRequest(region_id=REGION, scaling_group_id=asg))
    assert (raw["TotalCount"], raw["PageNumber"], raw["PageSize"], len(raw["ScalingInstances"])) == (3, 1, 10, 3)
