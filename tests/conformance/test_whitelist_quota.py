"""The 1,000-entry whitelist limit (DESIGN.md §7: RDS, 1,000 entries per instance over all groups):
a scale-out or a ForceAttach that would pass it fails with QuotaExceeded.DBInstanceSecurityIP and
leaves nothing half-done; ModifySecurityIps past it fails with InvalidSecurityIPList.QuotaExceeded."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models
import alibabacloud_rds20140815.models as rds_models

from esl_helpers import (
    REGION,
    activity,
    attach_db,
    create_rds,
    create_rule,
    expect_error,
    group,
    instances,
    modify_ips,
    ready_group,
    scale,
    whitelist,
)


def fill(n: int, third: int = 0) -> str:
    """n distinct addresses outside the group's vSwitch."""
    return ",".join(f"192.168.{third + i // 250}.{i % 250 + 1}" for i in range(n))


def test_scale_out_past_the_limit_fails_the_call_and_changes_nothing(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg, _ = ready_group(c, net, name, rds_ids=[rm])
    scale(c, asg, 2)
    advance(60)
    # 997 of the user's entries in another group + 127.0.0.1 + 2 instance IPs = 1,000: full.
    modify_ips(c, rm, fill(997), mode="Cover", group="app")
    before = whitelist(c, rm)
    assert before == "127.0.0.1,10.0.1.1,10.0.1.2"
    acts_before = c.ess.describe_scaling_activities(
        ess_models.DescribeScalingActivitiesRequest(region_id=REGION, scaling_group_id=asg)
    ).body.total_count
    _, ari = create_rule(c, asg, 1)
    expect_error(
        c.ess.execute_scaling_rule,
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=400,
        code="QuotaExceeded.DBInstanceSecurityIP",
        message=f'Security IP quota exceeded in DB instance "{rm}".',
    )
    assert whitelist(c, rm) == before
    assert len(instances(c, asg)) == 2
    assert group(c, asg)["TotalCapacity"] == 2
    acts_after = c.ess.describe_scaling_activities(
        ess_models.DescribeScalingActivitiesRequest(region_id=REGION, scaling_group_id=asg)
    ).body.total_count
    assert acts_after == acts_before
    # Room for one more: the same rule now works.
    modify_ips(c, rm, "192.168.0.1", mode="Delete", group="app")
    _, ari2 = create_rule(c, asg, 1)
    act = c.ess.execute_scaling_rule(
        ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari2)
    ).body.scaling_activity_id
    assert whitelist(c, rm) == "127.0.0.1,10.0.1.1,10.0.1.2,10.0.1.3"
    advance(60)
    assert activity(c, act)["StatusCode"] == "Successful"


def test_force_attach_past_the_limit_fails_and_does_not_attach(clients, advance, net, name):
    c = clients
    rm1 = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-1")
    rm2 = create_rds(c, advance, net.vpc_id, net.db_vsw_id, f"{name}-2")
    asg, _ = ready_group(c, net, name, rds_ids=[rm1])
    scale(c, asg, 2)
    advance(60)
    modify_ips(c, rm2, fill(998), mode="Cover", group="app")  # + 127.0.0.1 = 999; +2 = 1,001
    expect_error(
        c.ess.attach_dbinstances,
        ess_models.AttachDBInstancesRequest(region_id=REGION, scaling_group_id=asg, dbinstances=[rm2], force_attach=True),
        status=400,
        code="QuotaExceeded.DBInstanceSecurityIP",
        message=f'Security IP quota exceeded in DB instance "{rm2}".',
    )
    assert group(c, asg)["DBInstanceIds"] == [rm1]
    assert whitelist(c, rm2) == "127.0.0.1"
    # Without ForceAttach nothing is written now, so it attaches.
    attach_db(c, asg, [rm2], force=False)
    assert group(c, asg)["DBInstanceIds"] == [rm1, rm2]
    assert whitelist(c, rm2) == "127.0.0.1"


def test_modify_security_ips_past_the_limit(clients, advance, net, name):
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    modify_ips(c, rm, fill(999), mode="Append")  # default: 127.0.0.1 + 999 = 1,000
    expect_error(
        c.rds.modify_security_ips,
        rds_models.ModifySecurityIpsRequest(dbinstance_id=rm, security_ips="10.9.9.9", modify_mode="Append"),
        status=400,
        code="InvalidSecurityIPList.QuotaExceeded",
    )
    assert len(whitelist(c, rm).split(",")) == 1000
