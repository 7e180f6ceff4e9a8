"""ECS instances outside Auto Scaling: RunInstances, Stop/Start (one and many), Delete (one and many)
and the DescribeInstances filters, on the virtual clock.

Contract (ess-local, issue 3): RunInstances Pending -> Running after 2 s, private IPs allocated from
the vSwitch like ESS instances; StopInstance Stopping -> Stopped after 1 s; StartInstance Starting ->
Running after 1 s; DeleteInstance of a Running instance without Force -> 403 IncorrectInstanceStatus.
Error texts are from api-meta ecs-2014-05-26 errorCodes."""
from __future__ import annotations

import ipaddress
import json

import alibabacloud_ecs20140526.models as ecs_models

from esl_helpers import (
    IMAGE_ID,
    INSTANCE_TYPE,
    REGION,
    ZONE,
    by_ip,
    call,
    create_sg,
    create_vswitch,
    expect_error,
    instances,
    ready_group,
    scale,
)
from esl_helpers3 import (
    MSG_ECS_NOT_FOUND,
    MSG_ECS_STATUS,
    ZONE_B,
    delete_instance,
    ecs_ip,
    ecs_one,
    ecs_query,
    ecs_status,
    run_instances,
    running_instances,
    start_instance,
    stop_instance,
)


def test_run_instances_pending_then_running_with_ips_from_the_vswitch(clients, advance, net, name):
    c = clients
    ids = run_instances(c, net, 2, name=f"{name}-vm")
    got = {i: ecs_one(c, i) for i in ids}
    ips = []
    for i, e in got.items():
        assert e is not None, i
        assert e["Status"] == "Pending"
        assert e["InstanceName"] == f"{name}-vm"
        assert e["InstanceNetworkType"] == "vpc"
        assert e["VpcAttributes"]["VpcId"] == net.vpc_id
        assert e["VpcAttributes"]["VSwitchId"] == net.vsw_id
        assert e["SecurityGroupIds"]["SecurityGroupId"] == [net.sg_id]
        assert e["ImageId"] == IMAGE_ID
        assert e["InstanceType"] == INSTANCE_TYPE
        assert e["ZoneId"] == ZONE
        assert e["RegionId"] == REGION
        ips.extend(e["VpcAttributes"]["PrivateIpAddress"]["IpAddress"])
    # A fresh /24: the allocation starts at .1 (the same allocator as ESS instances)
    assert sorted(ips, key=ipaddress.IPv4Address) == ["10.0.1.1", "10.0.1.2"]
    # Launch takes 2 s
    advance(1)
    assert [ecs_status(c, i) for i in ids] == ["Pending", "Pending"]
    advance(2)
    assert [ecs_status(c, i) for i in ids] == ["Running", "Running"]

    # ESS instances in the same vSwitch share the allocator: the next address is .3
    asg, _ = ready_group(c, net, name)
    scale(c, asg, 1)
    assert sorted(by_ip(instances(c, asg))) == ["10.0.1.3"]
    advance(60)


def test_stop_and_start_instance(clients, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)
    raw = stop_instance(c, iid)
    assert set(raw) >= {"RequestId"}
    assert ecs_status(c, iid) == "Stopping"
    advance(3)
    assert ecs_status(c, iid) == "Stopped"
    start_instance(c, iid)
    assert ecs_status(c, iid) == "Starting"
    advance(3)
    assert ecs_status(c, iid) == "Running"
    # ForceStop is accepted and behaves the same
    stop_instance(c, iid, force=True)
    assert ecs_status(c, iid) == "Stopping"
    advance(3)
    assert ecs_status(c, iid) == "Stopped"
    # The address is kept while stopped
    assert ecs_ip(c, iid) == "10.0.1.1"


def test_stop_and_start_instances_many(clients, advance, net, name):
    c = clients
    a, b = running_instances(c, advance, net, 2, name=name)
    raw = call(
        c.ecs.stop_instances,
        ecs_models.StopInstancesRequest(region_id=REGION, instance_id=[a, b], force_stop=True),
    )
    # Per-instance results as in the api-docs responseDemo of StopInstances / StartInstances
    # (Code "200", Message "success", PreviousStatus -> CurrentStatus).
    got = {r["InstanceId"]: r for r in raw["InstanceResponses"]["InstanceResponse"]}
    assert sorted(got) == sorted([a, b])
    for r in got.values():
        assert (r["Code"], r["Message"], r["PreviousStatus"], r["CurrentStatus"]) == (
            "200", "success", "Running", "Stopping"
        ), r
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Stopping", "Stopping"]
    advance(3)
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Stopped", "Stopped"]

    raw = call(c.ecs.start_instances, ecs_models.StartInstancesRequest(region_id=REGION, instance_id=[a, b]))
    got = {r["InstanceId"]: r for r in raw["InstanceResponses"]["InstanceResponse"]}
    assert sorted(got) == sorted([a, b])
    for r in got.values():
        assert (r["Code"], r["Message"], r["PreviousStatus"], r["CurrentStatus"]) == (
            "200", "success", "Stopped", "Starting"
        ), r
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Starting", "Starting"]
    advance(3)
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Running", "Running"]


def test_delete_instance(clients, advance, net, name):
    c = clients
    a, b = running_instances(c, advance, net, 2, name=name)
    # A Running instance needs Force
    expect_error(
        c.ecs.delete_instance,
        ecs_models.DeleteInstanceRequest(instance_id=a),
        status=403,
        code="IncorrectInstanceStatus",
        message=MSG_ECS_STATUS,
    )
    advance(60)
    assert ecs_status(c, a) == "Running"
    delete_instance(c, a, force=True)
    advance(60)
    assert ecs_status(c, a) is None
    assert ecs_query(c, instance_ids=json.dumps([a, b])) == [b]

    # A Stopped instance can be deleted without Force (only Running ones are refused)
    stop_instance(c, b)
    advance(3)
    delete_instance(c, b)
    advance(60)
    assert ecs_status(c, b) is None

    # Unknown (or already deleted) instance
    for iid in ("i-doesnotexist00000000", a):
        expect_error(
            c.ecs.delete_instance,
            ecs_models.DeleteInstanceRequest(instance_id=iid, force=True),
            status=404,
            code="InvalidInstanceId.NotFound",
            message=MSG_ECS_NOT_FOUND,
        )


def test_delete_instances_many(clients, advance, net, name):
    c = clients
    a, b, d = running_instances(c, advance, net, 3, name=name)
    # Running ones need Force (api-meta DeleteInstances: 403 IncorrectInstanceStatus); nothing is deleted
    expect_error(
        c.ecs.delete_instances,
        ecs_models.DeleteInstancesRequest(region_id=REGION, instance_id=[a, b]),
        status=403,
        code="IncorrectInstanceStatus",
    )
    advance(60)
    assert [ecs_status(c, a), ecs_status(c, b)] == ["Running", "Running"]
    raw = call(c.ecs.delete_instances, ecs_models.DeleteInstancesRequest(region_id=REGION, instance_id=[a, b], force=True))
    assert set(raw) >= {"RequestId"}
    advance(60)
    assert ecs_query(c, instance_ids=json.dumps([a, b, d])) == [d]


def test_describe_instances_filters(clients, advance, net, name):
    c = clients
    vsw_b = create_vswitch(c, net.vpc_id, "10.0.3.0/24", f"{name}-b", zone=ZONE_B)
    sg2 = create_sg(c, net.vpc_id, f"{name}-sg2")
    (a,) = run_instances(c, net, 1, name=f"{name}-a")
    (b,) = run_instances(c, net, 1, name=f"{name}-b", sg=sg2)
    (d,) = run_instances(c, net, 1, name=f"{name}-d", vsw=vsw_b)
    advance(60)
    stop_instance(c, b)
    advance(3)
    ip = {i: ecs_ip(c, i) for i in (a, b, d)}
    assert ip == {a: "10.0.1.1", b: "10.0.1.2", d: "10.0.3.1"}

    v = net.vpc_id
    assert ecs_query(c, vpc_id=v) == sorted([a, b, d])
    assert ecs_query(c, vpc_id=v, v_switch_id=net.vsw_id) == sorted([a, b])
    assert ecs_query(c, v_switch_id=vsw_b) == [d]
    assert ecs_query(c, vpc_id=v, zone_id=ZONE_B) == [d]
    assert ecs_query(c, vpc_id=v, zone_id=ZONE) == sorted([a, b])
    assert ecs_query(c, security_group_id=sg2) == [b]
    assert ecs_query(c, security_group_id=net.sg_id) == sorted([a, d])
    assert ecs_query(c, vpc_id=v, status="Stopped") == [b]
    assert ecs_query(c, vpc_id=v, status="Running") == sorted([a, d])
    assert ecs_query(c, vpc_id=v, instance_network_type="vpc") == sorted([a, b, d])
    assert ecs_query(c, vpc_id=v, instance_network_type="classic") == []
    assert ecs_query(c, vpc_id=v, private_ip_addresses=json.dumps([ip[a], ip[d]])) == sorted([a, d])
    assert ecs_query(c, instance_ids=json.dumps([a, d])) == sorted([a, d])
    assert ecs_query(c, instance_ids=json.dumps([b]), status="Running") == []
