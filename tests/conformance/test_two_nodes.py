"""Several nodes on one database (issue 7): two `ess-local serve` processes on different ports share
one fresh PostgreSQL schema. Every change made through one is seen by the other, the background
work (the RDS instance becoming Running, scaling activities ending) is taken by whichever node
gets to it first and run exactly once, and when one node is SIGKILLed while work is due the other
finishes it.

Each node names itself (--node-id) and logs every job it commits at info level (ESS_LOCAL_LOG),
with the job's id; `GET /_ess-local/node` counts the jobs it ran. The logs survive the kill, so
the test can tell which node ran which job, and that no job id was run by both.

The virtual clock (`--clock virtual`) lives in the database, so an advance on either node moves
the time both see; the real-clock test checks that an idle node's worker picks up work another
node enqueued and then died without running.

Skipped unless ESS_LOCAL_TEST_DATABASE_URL is set (a PostgreSQL server the test may create and
drop schemas in).
"""
from __future__ import annotations

import collections
import os
import re
import threading
import time

import pytest
import requests

import alibabacloud_ecs20140526.models as ecs_m
import alibabacloud_ess20220222.models as ess_m
import alibabacloud_rds20140815.models as rds_m
import alibabacloud_vpc20160428.models as vpc_m

import esl_procs
from esl_helpers import IMAGE_ID, INSTANCE_TYPE, REGION, ZONE

pytestmark = pytest.mark.skipif(
    not os.environ.get(esl_procs.DB_URL_ENV),
    reason=f"the two-node test needs PostgreSQL: set {esl_procs.DB_URL_ENV} (e.g. postgres://postgres@127.0.0.1:5432/test)",
)

GROUPS = 4
LOG_ENV = {"ESS_LOCAL_LOG": "esl_engine=info,warn", "NO_COLOR": "1"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_JOB = re.compile(r"job ran node=(\S+) job=(\d+) kind=(\S+)")


def jobs_in_log(proc: esl_procs.Proc) -> list[tuple[str, int, str]]:
    """(node, job id, kind) of every job the node's log says it committed."""
    with open(proc.log_path, encoding="utf-8", errors="replace") as f:
        text = _ANSI.sub("", f.read())
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in _JOB.finditer(text)]


def node_stats(proc: esl_procs.Proc) -> dict:
    r = requests.get(f"{proc.base_url}/_ess-local/node", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def make_network(p: esl_procs.Proc) -> dict:
    ids = {}
    ids["vpc"] = p.client("vpc").create_vpc(vpc_m.CreateVpcRequest(
        region_id=REGION, cidr_block="10.0.0.0/16", vpc_name="nodes")).body.vpc_id
    for key, cidr in (("app_vsw", "10.0.1.0/24"), ("db_vsw", "10.0.2.0/24")):
        ids[key] = p.client("vpc").create_vswitch(vpc_m.CreateVSwitchRequest(
            region_id=REGION, vpc_id=ids["vpc"], zone_id=ZONE, cidr_block=cidr, v_switch_name=key)).body.v_switch_id
    ids["sg"] = p.client("ecs").create_security_group(ecs_m.CreateSecurityGroupRequest(
        region_id=REGION, vpc_id=ids["vpc"], security_group_name="nodes")).body.security_group_id
    ids["rds"] = p.client("rds").create_dbinstance(rds_m.CreateDBInstanceRequest(
        region_id=REGION, engine="MySQL", engine_version="8.0", dbinstance_class="mysql.n2.medium.1",
        dbinstance_storage=20, dbinstance_net_type="Intranet", pay_type="Postpaid", security_iplist="127.0.0.1",
        instance_network_type="VPC", vpcid=ids["vpc"], v_switch_id=ids["db_vsw"], zone_id=ZONE,
        dbinstance_description="nodes")).body.dbinstance_id
    return ids


def rds_status(p: esl_procs.Proc, db: str) -> str:
    return p.client("rds").describe_dbinstance_attribute(rds_m.DescribeDBInstanceAttributeRequest(
        dbinstance_id=db)).body.to_map()["Items"]["DBInstanceAttribute"][0]["DBInstanceStatus"]


def whitelist(p: esl_procs.Proc, db: str) -> list[str]:
    arrays = p.client("rds").describe_dbinstance_iparray_list(rds_m.DescribeDBInstanceIPArrayListRequest(
        dbinstance_id=db)).body.to_map()["Items"]["DBInstanceIPArray"]
    default = [a for a in arrays if a["DBInstanceIPArrayName"] == "default"]
    assert len(default) == 1, arrays
    return default[0]["SecurityIPList"].split(",")


def make_group(p: esl_procs.Proc, ids: dict, n: int) -> str:
    ess = p.client("ess")
    asg = ess.create_scaling_group(ess_m.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name=f"nodes-{n}", min_size=0, max_size=20, desired_capacity=0,
        v_switch_ids=[ids["app_vsw"]],
        dbinstances=[ess_m.CreateScalingGroupRequestDBInstances(dbinstance_id=ids["rds"], type="RDS", attach_mode="SecurityIp")],
    )).body.scaling_group_id
    ess.create_scaling_configuration(ess_m.CreateScalingConfigurationRequest(
        scaling_group_id=asg, image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=ids["sg"],
        scaling_configuration_name=f"nodes-cfg-{n}"))
    ess.enable_scaling_group(ess_m.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=asg))
    return asg


def scale(p: esl_procs.Proc, asg: str, n: int) -> str:
    return p.client("ess").scale_with_adjustment(ess_m.ScaleWithAdjustmentRequest(
        scaling_group_id=asg, adjustment_type="QuantityChangeInCapacity", adjustment_value=n)).body.scaling_activity_id


def members(p: esl_procs.Proc, asg: str) -> list[dict]:
    b = p.client("ess").describe_scaling_instances(ess_m.DescribeScalingInstancesRequest(
        region_id=REGION, scaling_group_id=asg, page_size=50)).body.to_map()
    assert b["TotalCount"] == len(b["ScalingInstances"]), b
    return b["ScalingInstances"]


def activities(p: esl_procs.Proc, asg: str) -> list[dict]:
    return p.client("ess").describe_scaling_activities(ess_m.DescribeScalingActivitiesRequest(
        region_id=REGION, scaling_group_id=asg, page_size=50)).body.to_map()["ScalingActivities"]


def group(p: esl_procs.Proc, asg: str):
    return p.client("ess").describe_scaling_groups(ess_m.DescribeScalingGroupsRequest(
        region_id=REGION, scaling_group_ids=[asg])).body.scaling_groups[0]


def ecs_instances(p: esl_procs.Proc) -> list[dict]:
    b = p.client("ecs").describe_instances(ecs_m.DescribeInstancesRequest(
        region_id=REGION, page_size=100)).body.to_map()
    assert b["TotalCount"] == len(b["Instances"]["Instance"]), b
    return b["Instances"]["Instance"]


def view(p: esl_procs.Proc, ids: dict, groups: list[str]) -> dict:
    """What a node shows of the shared state."""
    return {
        "clock": p.clock_ms(),
        "rds": rds_status(p, ids["rds"]),
        "whitelist": sorted(whitelist(p, ids["rds"])),
        "members": {g: sorted((m["InstanceId"], m["LifecycleState"], m["PrivateIpAddress"]) for m in members(p, g))
                    for g in groups},
        "activities": {g: sorted((a["ScalingActivityId"], a["StatusCode"]) for a in activities(p, g)) for g in groups},
    }


def test_two_nodes_share_state_split_work_and_finish_a_killed_nodes_work():
    backend = esl_procs.Backend("postgres")
    a = esl_procs.start(backend, "--node-id", "node-a", env=LOG_ENV)
    b = esl_procs.start(backend, "--node-id", "node-b", env=LOG_ENV)
    try:
        assert node_stats(a)["NodeId"] == "node-a" and node_stats(b)["NodeId"] == "node-b"
        # Phase 1, through A: the network and an RDS instance; A's advance makes it Running.
        ids = make_network(a)
        assert rds_status(b, ids["rds"]) == "Creating"
        a.advance(60)
        assert b.clock_ms() == a.clock_ms(), "the virtual clock is shared"
        assert rds_status(b, ids["rds"]) == "Running"
        assert node_stats(a)["JobsByKind"].get("rds.instance.ready") == 1
        groups = [make_group(a, ids, n) for n in range(GROUPS)]

        # Phase 2, through B: scale out every group; the new instances are Pending with their IPs
        # already in the whitelist, as A sees it too. B's advance ends the activities.
        desired = {g: 0 for g in groups}
        for g in groups:
            scale(b, g, 2)
            desired[g] += 2
        pending = [m for g in groups for m in members(a, g)]
        assert {m["LifecycleState"] for m in pending} == {"Pending"}
        assert sorted(whitelist(a, ids["rds"])) == sorted(["127.0.0.1", *(m["PrivateIpAddress"] for m in pending)])
        b.advance(10)
        assert view(a, ids, groups) == view(b, ids, groups), "both nodes see the same state"
        assert {m[1] for g in groups for m in view(a, ids, groups)["members"][g]} == {"InService"}

        # Phase 3: scale out again (through A) and advance on both nodes at once: the due jobs are
        # split between them, each run once.
        for g in groups:
            scale(a, g, 2)
            desired[g] += 2
        before = {p.endpoint: len(jobs_in_log(p)) for p in (a, b)}
        threads = [threading.Thread(target=p.advance, args=(10,)) for p in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        split = {p.endpoint: len(jobs_in_log(p)) - before[p.endpoint] for p in (a, b)}
        assert view(a, ids, groups) == view(b, ids, groups)
        assert {m[1] for g in groups for m in view(b, ids, groups)["members"][g]} == {"InService"}

        # Phase 4: scale out once more (through B), start an advance on A and SIGKILL A while it
        # is running the due work (as soon as its log shows one job of this phase, or at once if
        # it is faster than that); B's advance finishes whatever A left.
        for g in groups:
            scale(b, g, 3)
            desired[g] += 3
        before_kill = len(jobs_in_log(a))
        t = threading.Thread(target=lambda: _swallow(lambda: a.advance(60)))
        t.start()
        deadline = time.monotonic() + 10
        while len(jobs_in_log(a)) == before_kill and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)  # watching A's log for its first job of the phase: the timing is the point
        a.kill()
        t.join(timeout=30)
        a_before_kill = len(jobs_in_log(a)) - before_kill
        b_before = len(jobs_in_log(b))
        b.advance(60)
        b_after_kill = len(jobs_in_log(b)) - b_before

        # Everything finished, once: every instance InService, every activity Successful, the
        # capacities what was asked, IPs unique, the RDS whitelist exactly 127.0.0.1 + the members.
        all_members = []
        for g in groups:
            ms = members(b, g)
            assert {m["LifecycleState"] for m in ms} == {"InService"}, ms
            gg = group(b, g)
            assert (gg.total_capacity, gg.desired_capacity, len(ms)) == (desired[g],) * 3, (g, gg)
            acts = activities(b, g)
            # Three user requests, each answered by an activity that brings the group to its new
            # desired capacity.
            assert [x["StatusCode"] for x in acts] == ["Successful"] * 6, acts
            assert sorted(len(x.get("CreatedInstances") or []) for x in acts) == [0, 0, 0, 2, 2, 3], acts
            created = [i for x in acts for i in x.get("CreatedInstances") or []]
            assert sorted(created) == sorted(m["InstanceId"] for m in ms), (created, ms)
            all_members += ms
        ips = [m["PrivateIpAddress"] for m in all_members]
        assert len(ips) == len(set(ips)) == GROUPS * 7, ips
        assert sorted(i["InstanceId"] for i in ecs_instances(b)) == sorted(m["InstanceId"] for m in all_members)
        wl = whitelist(b, ids["rds"])
        assert len(wl) == len(set(wl)), wl
        assert sorted(wl) == sorted(["127.0.0.1", *ips])

        # Which node ran what: no job id twice, both nodes ran jobs, B's counter matches its log.
        ja, jb = jobs_in_log(a), jobs_in_log(b)
        assert {n for n, _, _ in ja} == {"node-a"} and {n for n, _, _ in jb} == {"node-b"}
        ids_a, ids_b = [j for _, j, _ in ja], [j for _, j, _ in jb]
        assert len(ids_a) == len(set(ids_a)) and len(ids_b) == len(set(ids_b))
        assert not set(ids_a) & set(ids_b), f"jobs run by both nodes: {set(ids_a) & set(ids_b)}"
        assert ja and jb, (ja, jb)
        assert node_stats(b)["JobsRun"] == len(jb)
        kinds = collections.Counter(k for _, _, k in ja + jb)
        assert kinds == {"rds.instance.ready": 1, "ess.activity.done": GROUPS * 3}, kinds
        print(f"\ntwo nodes: {len(ja)} jobs on node-a, {len(jb)} on node-b, none twice; "
              f"concurrent advance split a={split[a.endpoint]} b={split[b.endpoint]}; "
              f"node-a killed after {a_before_kill} job(s) of its last advance, node-b finished {b_after_kill}; "
              f"{len(all_members)} instances InService in {GROUPS} groups, {len(set(ips))} distinct IPs, "
              f"whitelist {len(wl)} entries exact")
    finally:
        a.stop()
        b.stop()
        backend.close()


def _swallow(f) -> None:
    try:
        f()
    except requests.RequestException:
        pass  # the node was killed under the request


def test_real_clock_work_of_a_dead_node_is_run_by_the_other():
    """--clock real with short timing: a database created through A, whose node is SIGKILLed right
    after the answer, becomes Running on time through B's worker, which polls the shared queue."""
    backend = esl_procs.Backend("postgres")
    timing = ["--timing", "db-create=1,instance-launch=1"]
    a = esl_procs.start(backend, "--node-id", "node-a", *timing, env=LOG_ENV, clock="real")
    b = esl_procs.start(backend, "--node-id", "node-b", *timing, env=LOG_ENV, clock="real")
    try:
        ids = make_network(a)
        created = time.monotonic()
        a.kill()
        assert rds_status(b, ids["rds"]) == "Creating"
        deadline = created + 15
        while rds_status(b, ids["rds"]) != "Running":
            assert time.monotonic() < deadline, f"B never ran A's job:\n{b.log_tail()}"
            time.sleep(0.05)  # bounded polling of state for real-clock work
        took = time.monotonic() - created
        assert node_stats(b)["JobsByKind"] == {"rds.instance.ready": 1}
        assert [(n, k) for n, _, k in jobs_in_log(b)] == [("node-b", "rds.instance.ready")]
        assert jobs_in_log(a) == []
        print(f"\nreal clock: node-a killed after CreateDBInstance; node-b made it Running {took:.2f} s later")
    finally:
        a.stop()
        b.stop()
        backend.close()
