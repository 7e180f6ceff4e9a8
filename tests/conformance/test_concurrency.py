"""Concurrent clients (issue 7): many threads, each with its own official SDK client, on one server
of its own (state on the backend under test), released together by a barrier:

  * ModifySecurityIps Append of distinct IPs to one RDS instance: every IP is there at the end,
    once (no lost update);
  * AttachInstances and ScaleWithAdjustment on one group at once: exactly one starts an activity,
    the other gets the real conflict code ScalingActivityInProgress;
  * CreateScalingGroup with one name: one group, the rest InvalidScalingGroupName.Duplicate;
  * CompleteLifecycleAction on one token: one success, the rest
    LifecycleHookIdAndLifecycleActionToken.Invalid.

Every answer is a success or that exact code; never an HTTP 500 (nor no answer at all).
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Callable

import pytest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

import alibabacloud_ecs20140526.models as ecs_m
import alibabacloud_ess20220222.models as ess_m
import alibabacloud_rds20140815.models as rds_m
import alibabacloud_vpc20160428.models as vpc_m

import esl_procs
from esl_helpers import IMAGE_ID, INSTANCE_TYPE, REGION, ZONE

THREADS = 16
ROUNDS = 10


@pytest.fixture(params=esl_procs.backend_params())
def proc(request):
    backend = esl_procs.Backend(request.param)
    p = esl_procs.start(backend)
    yield p
    p.stop()
    backend.close()


TRIED = Counter()


def at_once(proc, calls: list[tuple[str, Callable]]) -> list[tuple[str, object]]:
    """Runs each (product, fn(client)) in its own thread with its own client, all released at once.
    Returns ("ok", body) or ("error", (HTTP status, code)) per call, in order."""
    clients = [proc.client(product, fresh=True) for product, _ in calls]
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def go(i):
        fn = calls[i][1]
        barrier.wait()
        try:
            out[i] = ("ok", fn(clients[i]).body)
        except AlibabaCloudException as e:
            out[i] = ("error", (e.status_code, e.code))
        except Exception as e:  # noqa: BLE001  (no answer: reported below)
            out[i] = ("none", repr(e))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    TRIED["ops"] += len(calls)
    for o in out:
        assert o is not None and o[0] != "none", f"a call got no answer: {o}"
        assert not (o[0] == "error" and o[1][0] >= 500), f"HTTP 500: {o}"
    return out


def setup_net(proc):
    vpc = proc.client("vpc")
    v = vpc.create_vpc(vpc_m.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    sw = vpc.create_vswitch(vpc_m.CreateVSwitchRequest(region_id=REGION, vpc_id=v, zone_id=ZONE, cidr_block="10.0.1.0/24")).body.v_switch_id
    db_sw = vpc.create_vswitch(vpc_m.CreateVSwitchRequest(region_id=REGION, vpc_id=v, zone_id=ZONE, cidr_block="10.0.2.0/24")).body.v_switch_id
    sg = proc.client("ecs").create_security_group(ecs_m.CreateSecurityGroupRequest(region_id=REGION, vpc_id=v)).body.security_group_id
    rm = proc.client("rds").create_dbinstance(rds_m.CreateDBInstanceRequest(
        region_id=REGION, engine="MySQL", engine_version="8.0", dbinstance_class="mysql.n2.medium.1",
        dbinstance_storage=20, dbinstance_net_type="Intranet", pay_type="Postpaid", security_iplist="127.0.0.1",
        instance_network_type="VPC", vpcid=v, v_switch_id=db_sw, zone_id=ZONE)).body.dbinstance_id
    proc.advance(60)
    return v, sw, sg, rm


def group(proc, name, sw, sg, *, rds=None, max_size=20, hooks=None) -> str:
    ess = proc.client("ess")
    asg = ess.create_scaling_group(ess_m.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name=name, min_size=0, max_size=max_size, v_switch_ids=[sw],
        lifecycle_hooks=hooks,
        dbinstances=[ess_m.CreateScalingGroupRequestDBInstances(dbinstance_id=rds, type="RDS", attach_mode="SecurityIp")] if rds else None,
    )).body.scaling_group_id
    ess.create_scaling_configuration(ess_m.CreateScalingConfigurationRequest(
        scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=sg))
    ess.enable_scaling_group(ess_m.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg))
    return asg


def members(proc, asg) -> list[dict]:
    b = proc.client("ess").describe_scaling_instances(ess_m.DescribeScalingInstancesRequest(
        region_id=REGION, scaling_group_id=asg, page_size=50)).body.to_map()
    return b["ScalingInstances"]


def rds_default(proc, rm) -> list[str]:
    arrays = proc.client("rds").describe_dbinstance_iparray_list(
        rds_m.DescribeDBInstanceIPArrayListRequest(dbinstance_id=rm)).body.to_map()["Items"]["DBInstanceIPArray"]
    [d] = [a for a in arrays if a["DBInstanceIPArrayName"] == "default"]
    return d["SecurityIPList"].split(",")


def test_concurrency(proc):
    TRIED.clear()
    _, sw, sg, rm = setup_net(proc)

    # 1. Appends of distinct IPs to one whitelist, 16 at once, four times: no lost update.
    expected = ["127.0.0.1"]
    for r in range(4):
        ips = [f"192.168.{r}.{i + 1}" for i in range(THREADS)]
        expected += ips
        out = at_once(proc, [("rds", lambda c, ip=ip: c.modify_security_ips(rds_m.ModifySecurityIpsRequest(
            dbinstance_id=rm, security_ips=ip, modify_mode="Append"))) for ip in ips])
        assert [o[0] for o in out] == ["ok"] * THREADS, out
    wl = rds_default(proc, rm)
    assert sorted(wl) == sorted(expected), f"lost update: {sorted(set(expected) - set(wl))} missing"

    # 2. AttachInstances and ScaleWithAdjustment on one group at once: one wins, the other
    #    ScalingActivityInProgress. The group is associated with the RDS instance: its whitelist
    #    then holds exactly the members' IPs besides the appended ones.
    asg = group(proc, "conc-attach", sw, sg, rds=rm)
    ecs = proc.client("ecs")
    spare = ecs.run_instances(ecs_m.RunInstancesRequest(
        region_id=REGION, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=sg, v_switch_id=sw,
        amount=ROUNDS, instance_name="spare")).body.instance_id_sets.instance_id_set
    proc.advance(60)
    wins = Counter()
    for rnd in range(ROUNDS):
        x = spare[rnd]
        labels = ["attach", "scale"]
        calls = [
            ("ess", lambda c, x=x: c.attach_instances(ess_m.AttachInstancesRequest(
                region_id=REGION, scaling_group_id=asg, instance_ids=[x]))),
            ("ess", lambda c: c.scale_with_adjustment(ess_m.ScaleWithAdjustmentRequest(
                scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity", adjustment_value=1))),
        ]
        if rnd % 2:
            calls.reverse()
            labels.reverse()
        out = at_once(proc, calls)
        oks = [i for i, o in enumerate(out) if o[0] == "ok"]
        assert len(oks) == 1, out
        [loser] = [o for o in out if o[0] != "ok"]
        assert loser == ("error", (400, "ScalingActivityInProgress")), out
        wins[labels[oks[0]]] += 1
        proc.advance(60)
    ms = members(proc, asg)
    assert len(ms) == ROUNDS and {m["LifecycleState"] for m in ms} == {"InService"}, ms
    attached = {m["InstanceId"] for m in ms if m["CreationType"] == "Attached"}
    assert attached <= set(spare) and len(attached) == wins["attach"], (attached, wins)
    wl = rds_default(proc, rm)
    assert len(wl) == len(set(wl)), wl
    assert set(wl) == set(expected) | {m["PrivateIpAddress"] for m in ms}, wl

    # 3. CreateScalingGroup with one name, 8 at once, four times: one group each.
    for rnd in range(4):
        name = f"conc-dup-{rnd}"
        out = at_once(proc, [("ess", lambda c, name=name: c.create_scaling_group(ess_m.CreateScalingGroupRequest(
            region_id=REGION, scaling_group_name=name, min_size=0, max_size=2, v_switch_ids=[sw])))
            for _ in range(8)])
        assert sorted(o[0] for o in out) == ["error"] * 7 + ["ok"], out
        assert {o[1] for o in out if o[0] == "error"} == {(400, "InvalidScalingGroupName.Duplicate")}, out
        found = proc.client("ess").describe_scaling_groups(ess_m.DescribeScalingGroupsRequest(
            region_id=REGION, scaling_group_name=name)).body.scaling_groups
        assert len(found) == 1, found

    # 4. CompleteLifecycleAction on one token, 8 at once: one success.
    hook = ess_m.CreateScalingGroupRequestLifecycleHooks(
        lifecycle_hook_name="wait", lifecycle_transition="SCALE_OUT", default_result="ABANDON", heartbeat_timeout=600)
    hasg = group(proc, "conc-hook", sw, sg, hooks=[hook])
    ess = proc.client("ess")
    hook_id = ess.describe_lifecycle_hooks(ess_m.DescribeLifecycleHooksRequest(
        region_id=REGION, scaling_group_id=hasg)).body.lifecycle_hooks[0].lifecycle_hook_id
    for rnd in range(ROUNDS):
        act = ess.scale_with_adjustment(ess_m.ScaleWithAdjustmentRequest(
            scaling_group_id=hasg, adjustment_type="QuantityChangeInCapacity", adjustment_value=1)).body.scaling_activity_id
        [action] = ess.describe_lifecycle_actions(ess_m.DescribeLifecycleActionsRequest(
            region_id=REGION, scaling_activity_id=act)).body.to_map()["LifecycleActions"]
        token = action["LifecycleActionToken"]
        out = at_once(proc, [("ess", lambda c: c.complete_lifecycle_action(ess_m.CompleteLifecycleActionRequest(
            region_id=REGION, lifecycle_hook_id=hook_id, lifecycle_action_token=token,
            lifecycle_action_result="CONTINUE"))) for _ in range(8)])
        assert sorted(o[0] for o in out) == ["error"] * 7 + ["ok"], out
        assert {o[1] for o in out if o[0] == "error"} == {(400, "LifecycleHookIdAndLifecycleActionToken.Invalid")}, out
        proc.advance(60)
        a = ess.describe_scaling_activities(ess_m.DescribeScalingActivitiesRequest(
            region_id=REGION, scaling_activity_ids=[act])).body.scaling_activities[0]
        assert (a.status_code, a.total_capacity) == ("Successful", str(rnd + 1)), a
    assert len(members(proc, hasg)) == ROUNDS

    print(f"\nconcurrency: {TRIED['ops']} concurrent operations (up to {THREADS} at once), "
          f"attach/scale winners {dict(wins)}; no lost update, exact conflict codes, no HTTP 500")
