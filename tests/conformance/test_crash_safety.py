"""Crash safety (issue 7): a scripted Method 2 + Method 3 workload through the official SDKs on a
server of its own (`--clock virtual`, state on the backend under test), killed with SIGKILL at many
points: after each request k of the workload, while a request is in flight (sent from another
thread), and in the middle of a long clock advance. After each kill the server is restarted on the
same state (the banner is read again: the port may change), the clock is advanced far (past every
heartbeat timeout, so every wait ends) and the invariants are checked; then the workload goes on
from where the client was and the invariants are checked once more at its end. After a kill that
followed an answer, the request is also sent again, as by a client whose answer was lost.

The client behaves like a real one: a request that got no answer is sent again, with the same
ClientToken where the action has one (the server answers a retry of a call that already succeeded
with that call's answer and changes nothing); where the action has none, the error a retry of an
already applied call gets (a duplicate hook name, an instance already gone, a group already
enabled) is taken as "it was done", after checking that it was.

Invariants: the RDS instance's default whitelist is 127.0.0.1 plus the private IPs of the group's
instances that are not leaving, each once; the PolarDB cluster's default group is 127.0.0.1 plus
the IPs the hook template added and did not delete (its child executions' securityIp), each once,
which is again the group's members; every ECS instance tagged with the group is a member and every
member an ECS instance (nothing orphaned, nothing duplicated); no lifecycle action Pending, no
activity InProgress, no OOS execution running; TotalCapacity = DesiredCapacity = the members; each
resource created once, each instance created by exactly one activity, and the instances alive are
exactly those the activities created and did not destroy.
"""
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable

import pytest
import requests
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from Tea.exceptions import UnretryableException

import alibabacloud_ecs20140526.models as ecs_m
import alibabacloud_ess20220222.models as ess_m
import alibabacloud_oos20190601.models as oos_m
import alibabacloud_polardb20170801.models as polar_m
import alibabacloud_rds20140815.models as rds_m
import alibabacloud_vpc20160428.models as vpc_m

import esl_procs
from esl_helpers import IMAGE_ID, INSTANCE_TYPE, REGION, ZONE
from esl_helpers4 import ACTION_POLARDB, TPL_POLARDB

SEED = 20240607
SETTLE_SECONDS = 4 * 3600  # past every heartbeat timeout (300 s) and every retry of the template
MIN, MAX, DESIRED0 = 1, 6, 1
HEARTBEAT = 300

NO_ANSWER = (UnretryableException, requests.ConnectionError, requests.Timeout)


class Killed(Exception):
    """The server went away under a request (the test killed it)."""


# ------------------------------------------------------------------------------------------------
# The run: one server (restarted on the same state), the client's view of what it made


class Run:
    def __init__(self, backend: esl_procs.Backend):
        self.backend = backend
        self.proc = esl_procs.start(backend)
        self.ids: dict[str, str] = {}
        self.restarts = 0
        self.desired = DESIRED0  # what the client's acknowledged (or retried) calls asked for
        self.user_activities: list[str] = []
        self.retried: set[str] = set()
        self.unanswered = 0  # mid-request kills that landed before the answer (the call was retried)
        self.mid_advance_kills = 0  # kills that landed while a settle advance was running
        self.resent = 0  # answered requests sent again as if the answer had been lost

    def c(self, product: str):
        return self.proc.client(product)

    def restart(self) -> None:
        self.proc.kill()
        self.proc = esl_procs.start(self.backend)
        self.restarts += 1

    def close(self) -> None:
        self.proc.stop()


@dataclass
class Step:
    name: str
    send: Callable[[Run, str], None]  # (run, client token) -> None; raises on error
    # Codes that, when they answer a retry, mean the first attempt was applied.
    done_codes: tuple[str, ...] = ()
    prepare: Callable[[Run], None] | None = None  # choose what the call acts on, once
    is_advance: bool = False


def advance_step(seconds: float) -> Step:
    return Step(f"advance {seconds}", lambda r, t: r.proc.advance(seconds), is_advance=True)


def _ecs_instances(r: Run) -> list[dict]:
    out, page = [], 1
    while True:
        raw = r.c("ecs").describe_instances(ecs_m.DescribeInstancesRequest(region_id=REGION, page_size=100, page_number=page))
        b = raw.body.to_map()
        items = b["Instances"]["Instance"]
        out += items
        if len(out) >= b["TotalCount"] or not items:
            return out
        page += 1


def _members(r: Run) -> list[dict]:
    raw = r.c("ess").describe_scaling_instances(
        ess_m.DescribeScalingInstancesRequest(region_id=REGION, scaling_group_id=r.ids["asg"], page_size=50))
    b = raw.body.to_map()
    assert b["TotalCount"] == len(b["ScalingInstances"]), b
    return b["ScalingInstances"]


def _ip_key(ip: str):
    return tuple(int(x) for x in ip.split("."))


# Each send records what it made in r.ids; tokens make retries safe where the action takes one.

def s_vpc(r, tok):
    r.ids["vpc"] = r.c("vpc").create_vpc(vpc_m.CreateVpcRequest(
        region_id=REGION, cidr_block="10.0.0.0/16", vpc_name="crash", client_token=tok)).body.vpc_id


def s_vsw(key, cidr):
    def send(r, tok):
        r.ids[key] = r.c("vpc").create_vswitch(vpc_m.CreateVSwitchRequest(
            region_id=REGION, vpc_id=r.ids["vpc"], zone_id=ZONE, cidr_block=cidr, v_switch_name=key,
            client_token=tok)).body.v_switch_id
    return send


def s_sg(r, tok):
    r.ids["sg"] = r.c("ecs").create_security_group(ecs_m.CreateSecurityGroupRequest(
        region_id=REGION, vpc_id=r.ids["vpc"], security_group_name="crash", client_token=tok)).body.security_group_id


def s_rds(r, tok):
    r.ids["rds"] = r.c("rds").create_dbinstance(rds_m.CreateDBInstanceRequest(
        region_id=REGION, engine="MySQL", engine_version="8.0", dbinstance_class="mysql.n2.medium.1",
        dbinstance_storage=20, dbinstance_net_type="Intranet", pay_type="Postpaid", security_iplist="127.0.0.1",
        instance_network_type="VPC", vpcid=r.ids["vpc"], v_switch_id=r.ids["db_vsw"], zone_id=ZONE,
        dbinstance_description="crash", client_token=tok)).body.dbinstance_id


def s_polar(r, tok):
    r.ids["pc"] = r.c("polardb").create_dbcluster(polar_m.CreateDBClusterRequest(
        region_id=REGION, dbtype="MySQL", dbversion="8.0", dbnode_class="polar.mysql.x4.medium", pay_type="Postpaid",
        cluster_network_type="VPC", vpcid=r.ids["vpc"], v_switch_id=r.ids["db_vsw"], zone_id=ZONE,
        dbcluster_description="crash", client_token=tok)).body.dbcluster_id


def s_group(r, tok):
    r.ids["asg"] = r.c("ess").create_scaling_group(ess_m.CreateScalingGroupRequest(
        region_id=REGION, scaling_group_name="crash-group", min_size=MIN, max_size=MAX, desired_capacity=DESIRED0,
        v_switch_ids=[r.ids["app_vsw"]], client_token=tok,
        dbinstances=[ess_m.CreateScalingGroupRequestDBInstances(dbinstance_id=r.ids["rds"], type="RDS", attach_mode="SecurityIp")],
    )).body.scaling_group_id


def s_config(r, tok):
    r.ids["asc"] = r.c("ess").create_scaling_configuration(ess_m.CreateScalingConfigurationRequest(
        scaling_group_id=r.ids["asg"], image_id=IMAGE_ID, instance_type=INSTANCE_TYPE, security_group_id=r.ids["sg"],
        scaling_configuration_name="crash-cfg", client_token=tok)).body.scaling_configuration_id


def s_hook(transition, mode, default):
    key = f"hook_{transition}"

    def send(r, tok):
        arn = f"acs:oos:{REGION}:{r.proc.account_id}:template/{TPL_POLARDB}"
        try:
            r.ids[key] = r.c("ess").create_lifecycle_hook(ess_m.CreateLifecycleHookRequest(
                scaling_group_id=r.ids["asg"], lifecycle_transition=transition, lifecycle_hook_name=key,
                default_result=default, heartbeat_timeout=HEARTBEAT, notification_arn=arn,
                notification_metadata=json.dumps({"dbClusterId": r.ids["pc"], "modifyMode": mode}),
            )).body.lifecycle_hook_id
        except AlibabaCloudException as e:
            if e.code != "InvalidLifecycleHookName.Duplicate" or key not in r.retried:
                raise
            # The first attempt made it: find the hook by its name.
            hooks = r.c("ess").describe_lifecycle_hooks(ess_m.DescribeLifecycleHooksRequest(
                region_id=REGION, scaling_group_id=r.ids["asg"], lifecycle_hook_name=key)).body.lifecycle_hooks
            assert [h.lifecycle_hook_name for h in hooks] == [key]
            r.ids[key] = hooks[0].lifecycle_hook_id
    return Step(f"CreateLifecycleHook {transition}", send, prepare=lambda r: r.retried.discard(key))


def s_enable(r, tok):
    try:
        r.c("ess").enable_scaling_group(ess_m.EnableScalingGroupRequest(region_id=REGION, scaling_group_id=r.ids["asg"]))
    except AlibabaCloudException as e:
        if e.code != "IncorrectScalingGroupStatus" or "enable" not in r.retried:
            raise
        g = r.c("ess").describe_scaling_groups(ess_m.DescribeScalingGroupsRequest(
            region_id=REGION, scaling_group_ids=[r.ids["asg"]])).body.scaling_groups[0]
        assert g.lifecycle_state == "Active", g


def s_scale(n):
    def send(r, tok):
        act = r.c("ess").scale_with_adjustment(ess_m.ScaleWithAdjustmentRequest(
            scaling_group_id=r.ids["asg"], adjustment_type="QuantityChangeInCapacity", adjustment_value=n,
            client_token=tok)).body.scaling_activity_id
        if act not in r.user_activities:
            r.user_activities.append(act)
            r.desired += n
    return send


def pick_oldest_in_service(key):
    def prepare(r):
        inservice = [m for m in _members(r) if m["LifecycleState"] == "InService"]
        assert inservice, "nothing InService to act on"
        chosen = sorted(inservice, key=lambda m: (m["CreationTime"], _ip_key(m["PrivateIpAddress"])))[0]
        r.ids[key] = chosen["InstanceId"]
        r.ids[f"{key}_ip"] = chosen["PrivateIpAddress"]
    return prepare


def s_remove(r, tok):
    act = r.c("ess").remove_instances(ess_m.RemoveInstancesRequest(
        region_id=REGION, scaling_group_id=r.ids["asg"], instance_ids=[r.ids["remove"]], client_token=tok,
    )).body.scaling_activity_id
    if act not in r.user_activities:
        r.user_activities.append(act)
        r.desired -= 1


def s_delete_behind_back(r, tok):
    try:
        r.c("ecs").delete_instance(ecs_m.DeleteInstanceRequest(instance_id=r.ids["victim"], force=True))
    except AlibabaCloudException as e:
        if e.code != "InvalidInstanceId.NotFound" or "victim" not in r.retried:
            raise


WORKLOAD: list[Step] = [
    Step("CreateVpc", s_vpc),
    Step("CreateVSwitch app", s_vsw("app_vsw", "10.0.1.0/24")),
    Step("CreateVSwitch db", s_vsw("db_vsw", "10.0.2.0/24")),
    Step("CreateSecurityGroup", s_sg),
    Step("CreateDBInstance", s_rds),
    Step("CreateDBCluster", s_polar),
    advance_step(60),  # both databases Running
    Step("CreateScalingGroup", s_group),
    Step("CreateScalingConfiguration", s_config),
    s_hook("SCALE_OUT", "Append", "ABANDON"),
    s_hook("SCALE_IN", "Delete", "CONTINUE"),
    Step("EnableScalingGroup", s_enable, prepare=lambda r: r.retried.discard("enable")),  # converges to 1
    advance_step(5),
    Step("ScaleWithAdjustment +3", s_scale(3)),
    advance_step(0.5),  # the hooks' executions not started yet: instances in Pending:Wait
    advance_step(5),
    Step("ScaleWithAdjustment -1", s_scale(-1)),
    advance_step(5),
    Step("RemoveInstances", s_remove, prepare=pick_oldest_in_service("remove")),
    advance_step(5),
    Step("ScaleWithAdjustment +2", s_scale(2)),
    advance_step(5),
    Step("DeleteInstance Force (behind the group's back)", s_delete_behind_back,
         prepare=lambda r: (pick_oldest_in_service("victim")(r), r.retried.discard("victim"))),
    advance_step(30),  # the health check removes it and a replacement comes
    Step("ScaleWithAdjustment +1 (left waiting)", s_scale(1)),
]
FINAL_DESIRED = DESIRED0 + 3 - 1 - 1 + 2 + 1
# Which retried sends treat an error as "the first attempt was applied", by step.
RETRY_KEYS = {"CreateLifecycleHook SCALE_OUT": "hook_SCALE_OUT", "CreateLifecycleHook SCALE_IN": "hook_SCALE_IN",
              "EnableScalingGroup": "enable", "DeleteInstance Force (behind the group's back)": "victim"}


def perform(r: Run, i: int, step: Step, kill_after: float | None = None) -> bool:
    """Sends step i and returns once it is answered. With kill_after, the first attempt is sent
    from another thread and the server is SIGKILLed that many seconds after it was sent, then
    restarted; if the attempt got no answer the client sends it again (same ClientToken). Returns
    whether the kill landed before the answer. A server that goes away on its own fails the test."""
    if step.prepare is not None:
        step.prepare(r)
    token = f"crash-{SEED}-{i}"
    if kill_after is None:
        step.send(r, token)
        return False
    outcome: dict = {}

    def go():
        try:
            step.send(r, token)
            outcome["ok"] = True
        except BaseException as e:  # noqa: BLE001  (handed to the main thread)
            outcome["error"] = e

    t = threading.Thread(target=go)
    t.start()
    time.sleep(kill_after)  # the kill timing is the point of the test
    r.proc.kill()
    t.join(timeout=60)
    assert not t.is_alive(), f"{step.name}: the request never returned after the kill"
    r.restart()
    if outcome.get("ok"):
        return False
    err = outcome["error"]
    if not isinstance(err, NO_ANSWER + (requests.RequestException,)):
        raise err
    if step.name in RETRY_KEYS:
        r.retried.add(RETRY_KEYS[step.name])
    step.send(r, token)
    return True


# ------------------------------------------------------------------------------------------------
# Invariants


def settle(r: Run, kill_after: float | None = None) -> None:
    """Advances far; with kill_after, SIGKILLs the server that long into the advance (from another
    thread's view: the advance is in flight), restarts it and advances again."""
    if kill_after is None:
        r.proc.advance(SETTLE_SECONDS)
        return
    outcome: dict = {}

    def go():
        try:
            r.proc.advance(SETTLE_SECONDS)
            outcome["ok"] = True
        except requests.RequestException as e:
            outcome["error"] = e

    t = threading.Thread(target=go)
    t.start()
    time.sleep(kill_after)  # the kill timing is the point of the test
    r.proc.kill()
    t.join(timeout=60)
    r.restart()
    r.mid_advance_kills += 0 if outcome.get("ok") else 1
    r.proc.advance(SETTLE_SECONDS)


def check(r: Run, *, final: bool, context: str, kill_after: float | None = None) -> None:
    """Settles (advances far) and checks every invariant on what exists."""
    settle(r, kill_after)
    where = f"[{context}]"
    ids = r.ids
    ess = r.c("ess")

    ecs_all = _ecs_instances(r)
    ecs_ids = [i["InstanceId"] for i in ecs_all]
    assert len(ecs_ids) == len(set(ecs_ids)), f"{where} an ECS instance listed twice: {ecs_ids}"
    vpcs = r.c("vpc").describe_vpcs(vpc_m.DescribeVpcsRequest(region_id=REGION, page_size=50)).body.vpcs.vpc
    assert len(vpcs) == (1 if "vpc" in ids else len(vpcs)), f"{where} the VPC the client created is gone"
    assert len(vpcs) <= 1, f"{where} CreateVpc was done twice: {[v.vpc_id for v in vpcs]}"
    if "asg" not in ids:
        assert ecs_all == [], where
        return
    groups = ess.describe_scaling_groups(ess_m.DescribeScalingGroupsRequest(region_id=REGION, page_size=50)).body.scaling_groups
    assert [g.scaling_group_id for g in groups] == [ids["asg"]], f"{where} CreateScalingGroup done twice?"
    g = groups[0]
    members = _members(r)
    mids = [m["InstanceId"] for m in members]
    assert len(mids) == len(set(mids)), f"{where} a member listed twice: {mids}"
    states = {m["InstanceId"]: m["LifecycleState"] for m in members}
    assert set(states.values()) <= {"InService"}, f"{where} members not settled: {states}"

    # Nothing orphaned: the ECS instances that name the group are exactly its members.
    tagged = sorted(
        i["InstanceId"] for i in ecs_all
        if any(t["TagKey"] == "acs:autoscaling:scalingGroupId" and t["TagValue"] == ids["asg"]
               for t in i.get("Tags", {}).get("Tag", []))
    )
    assert tagged == sorted(mids), f"{where} ECS instances of the group {tagged} != members {sorted(mids)}"
    assert sorted(ecs_ids) == sorted(mids), f"{where} ECS instances outside the group: {set(ecs_ids) - set(mids)}"
    ips = [m["PrivateIpAddress"] for m in members]
    assert len(ips) == len(set(ips)), f"{where} two members share an IP: {ips}"

    # Capacity: converged to the desired capacity the client asked for.
    assert g.total_capacity == len(members), f"{where} TotalCapacity {g.total_capacity} != {len(members)} members"
    if g.lifecycle_state == "Active":
        assert g.desired_capacity == r.desired, f"{where} DesiredCapacity {g.desired_capacity} != {r.desired}"
        assert g.total_capacity == g.desired_capacity, where
        assert MIN <= g.total_capacity <= MAX, where

    # Activities: none in progress; each instance created by one activity; alive = created - destroyed.
    acts, page = [], 1
    while True:
        b = ess.describe_scaling_activities(ess_m.DescribeScalingActivitiesRequest(
            region_id=REGION, scaling_group_id=ids["asg"], page_size=50, page_number=page)).body.to_map()
        acts += b["ScalingActivities"]
        if len(acts) >= b["TotalCount"] or not b["ScalingActivities"]:
            break
        page += 1
    in_progress = [a["ScalingActivityId"] for a in acts if a["StatusCode"] == "InProgress"]
    assert not in_progress, f"{where} activities still InProgress after the settle: {in_progress}"
    created: dict[str, str] = {}
    for a in acts:
        for iid in a.get("CreatedInstances") or []:
            assert iid not in created, f"{where} {iid} created by {created[iid]} and {a['ScalingActivityId']}"
            created[iid] = a["ScalingActivityId"]
    # (an id is created once and destroyed at most once, so the order does not matter)
    ok = [a for a in acts if a["StatusCode"] == "Successful"]
    alive = {i for a in ok for i in a.get("CreatedInstances") or []}
    alive -= {i for a in ok for i in a.get("DestroyedInstances") or []}
    assert alive == set(mids), f"{where} activities' created-destroyed {sorted(alive)} != members {sorted(mids)}"
    user = [a for a in acts if a["Cause"].startswith("A user requests")]
    assert sorted(a["ScalingActivityId"] for a in user) == sorted(r.user_activities), \
        f"{where} user activities {[a['ScalingActivityId'] for a in user]} != acknowledged {r.user_activities}"

    # Lifecycle actions: none Pending.
    for a in acts:
        la = ess.describe_lifecycle_actions(ess_m.DescribeLifecycleActionsRequest(
            region_id=REGION, scaling_activity_id=a["ScalingActivityId"], max_results=50)).body.to_map()
        pending = [x["LifecycleActionToken"] for x in la["LifecycleActions"] if x["LifecycleActionStatus"] == "Pending"]
        assert not pending, f"{where} lifecycle actions stuck Pending: {pending} ({a['ScalingActivityId']})"

    # RDS (Method 2): 127.0.0.1 plus the members' IPs, each once.
    arrays = r.c("rds").describe_dbinstance_iparray_list(
        rds_m.DescribeDBInstanceIPArrayListRequest(dbinstance_id=ids["rds"])).body.to_map()["Items"]["DBInstanceIPArray"]
    default = [a for a in arrays if a["DBInstanceIPArrayName"] == "default"]
    assert len(default) == 1, f"{where} {arrays}"
    wl = default[0]["SecurityIPList"].split(",")
    assert len(wl) == len(set(wl)), f"{where} an IP twice in the RDS whitelist: {wl}"
    assert set(wl) == {"127.0.0.1", *ips}, f"{where} RDS whitelist {sorted(wl)} != 127.0.0.1 + {sorted(ips)}"

    # PolarDB (Method 3): what the template's child executions appended and did not delete.
    oos = r.c("oos")
    execs, tok = [], None
    while True:
        b = oos.list_executions(oos_m.ListExecutionsRequest(region_id=REGION, max_results=100, next_token=tok)).body.to_map()
        execs += b["Executions"]
        tok = b.get("NextToken")
        if not tok:
            break
    running = [x["ExecutionId"] for x in execs if x["Status"] in ("Running", "Waiting", "Queued", "Started")]
    assert not running, f"{where} OOS executions still running after the settle: {running}"
    hooked = [x for x in execs if x["TemplateName"] == TPL_POLARDB]
    tokens = [x["Parameters"]["lifecycleActionToken"] for x in hooked]
    assert len(tokens) == len(set(tokens)), f"{where} a lifecycle action started two executions: {tokens}"
    appended: dict[str, str] = {}
    for x in hooked:
        if x["Status"] == "Success" and x["Parameters"]["modifyMode"] == "Append":
            for iid in x["Parameters"]["instanceIds"]:
                assert iid not in appended, f"{where} {iid} appended by {appended[iid]} and {x['ExecutionId']}"
                appended[iid] = x["ExecutionId"]
    # The child executions (one per IP) say what the template did to the whitelist, in order.
    children = []
    for x in hooked:
        b = oos.list_executions(oos_m.ListExecutionsRequest(
            region_id=REGION, max_results=100, parent_execution_id=x["ExecutionId"])).body.to_map()
        children += b["Executions"]
    expected_pc = {"127.0.0.1"}
    for x in sorted(children, key=lambda x: (x["CreateDate"], x["ExecutionId"])):
        assert x["TemplateName"] == ACTION_POLARDB, x
        if x["Status"] != "Success":
            continue
        if x["Parameters"]["modifyMode"] == "Append":
            expected_pc.add(x["Parameters"]["securityIp"])
        else:
            expected_pc.discard(x["Parameters"]["securityIp"])
    groups_pc = r.c("polardb").describe_dbcluster_access_whitelist(
        polar_m.DescribeDBClusterAccessWhitelistRequest(dbcluster_id=ids["pc"])).body.to_map()["Items"]["DBClusterIPArray"]
    pc_default = [x["SecurityIps"] for x in groups_pc if x["DBClusterIPArrayName"] == "default"]
    assert len(pc_default) == 1, f"{where} {groups_pc}"
    pcl = pc_default[0].split(",")
    assert len(pcl) == len(set(pcl)), f"{where} an IP twice in the PolarDB whitelist: {pcl}"
    assert set(pcl) == expected_pc, f"{where} PolarDB {sorted(pcl)} != template's net effect {sorted(expected_pc)}"
    # Which is the members' IPs, plus the IP of an instance deleted behind the group's back: the
    # template looks its IP up through ECS when it leaves, finds no instance, and deletes nothing
    # (as the real template does).
    leaked = set(pcl) - {"127.0.0.1", *ips}
    assert set(pcl) >= {"127.0.0.1", *ips}, f"{where} PolarDB {sorted(pcl)} lacks members {sorted(ips)}"
    assert leaked <= {r.ids.get("victim_ip")}, f"{where} PolarDB holds IPs of no member: {sorted(leaked)}"
    if final:
        assert r.desired == FINAL_DESIRED and g.desired_capacity == FINAL_DESIRED, where
        assert "hook_SCALE_OUT" in ids and "hook_SCALE_IN" in ids, where
        hooks = ess.describe_lifecycle_hooks(ess_m.DescribeLifecycleHooksRequest(
            region_id=REGION, scaling_group_id=ids["asg"])).body.lifecycle_hooks
        assert sorted(h.lifecycle_hook_id for h in hooks) == sorted([ids["hook_SCALE_OUT"], ids["hook_SCALE_IN"]]), where
        rdss = r.c("rds").describe_dbinstances(rds_m.DescribeDBInstancesRequest(region_id=REGION)).body.items.dbinstance
        assert [d.dbinstance_id for d in rdss] == [ids["rds"]], f"{where} CreateDBInstance done twice?"
        pcs = r.c("polardb").describe_dbclusters(polar_m.DescribeDBClustersRequest(region_id=REGION)).body.items.dbcluster
        assert [p.dbcluster_id for p in pcs] == [ids["pc"]], f"{where} CreateDBCluster done twice?"
        assert len(members) == FINAL_DESIRED, where


# ------------------------------------------------------------------------------------------------


@pytest.fixture(params=esl_procs.backend_params())
def backend_kind(request):
    esl_procs.Backend(request.param).close()  # skips here if the backend is not available
    return request.param


def run_workload(kind: str, kill: tuple[str, int, float] | None) -> Run:
    """The workload with one crash, on fresh state: ("after", k, _) kills after request k was
    answered, ("during", k, delay) kills `delay` seconds into request k."""
    backend = esl_procs.Backend(kind)
    r = Run(backend)
    try:
        for i, step in enumerate(WORKLOAD, 1):
            if kill is not None and kill[0] == "during" and kill[1] == i:
                r.unanswered += perform(r, i, step, kill_after=kill[2])
                check(r, final=False, context=f"killed during {i} {step.name}")
                continue
            perform(r, i, step)
            if kill is not None and kill[0] == "settle" and kill[1] == i:
                check(r, final=False, context=f"killed during the settle after {i} {step.name}", kill_after=kill[2])
            if kill is not None and kill[0] == "after" and kill[1] == i:
                r.restart()
                check(r, final=False, context=f"killed after {i} {step.name}")
                # The answer may as well have been lost on the way: a client that never saw it sends
                # the request again (same ClientToken). That must change nothing.
                if step.name in RETRY_KEYS:
                    r.retried.add(RETRY_KEYS[step.name])
                step.send(r, f"crash-{SEED}-{i}")
                r.resent += 1
        check(r, final=True, context=f"end of workload, crash {kill}")
        return r
    except BaseException:
        print(f"--- server log ---\n{r.proc.log_tail()}")
        raise
    finally:
        r.close()
        backend.close()


def test_crash_safety(backend_kind):
    rng = random.Random(SEED)
    n = len(WORKLOAD)
    points: list[tuple[str, int, float]] = [("after", k, 0.0) for k in range(1, n + 1)]
    # In the middle of requests (advances included), from another thread.
    points += [("during", k, rng.uniform(0.0, 0.012)) for k in range(1, n + 1)]
    # In the middle of the long advance that settles the state, while hooks, executions,
    # activities and health checks are due.
    points += [("settle", k, rng.uniform(0.0, 0.02)) for k in range(12, n + 1)]
    restarts = unanswered = mid_advance = resent = 0
    for p in points:
        r = run_workload(backend_kind, p)
        restarts += r.restarts
        unanswered += r.unanswered
        mid_advance += r.mid_advance_kills
        resent += r.resent
    kinds = {k: sum(1 for p in points if p[0] == k) for k in ("after", "during", "settle")}
    print(f"\ncrash safety [{backend_kind}]: {len(points)} crash points over a {n}-request workload "
          f"({kinds['after']} after a request, each request then sent again as if its answer was lost, {kinds['during']} during one, of which {unanswered} cut it off "
          f"and it was retried, {kinds['settle']} during a settle advance, of which {mid_advance} cut it off); "
          f"{restarts} restarts; invariants held after every restart and at every end")
    # The kills must really have cut requests and advances short, or the test proved less than it
    # says (the timing is randomised; seen: 11 to 18 of 25, and 5 to 12 of 14).
    assert unanswered >= 1 and mid_advance >= 1, (unanswered, mid_advance)
    assert restarts >= len(points), (restarts, len(points))
