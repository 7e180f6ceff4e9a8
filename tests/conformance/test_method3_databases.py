"""Method 3 of Alibaba's guide ("lifecycle hook + OOS template") for the databases ESS cannot associate
natively: PolarDB, MongoDB, AnalyticDB for MySQL and Redis. A scaling group has a SCALE_OUT hook and a
SCALE_IN hook whose NotificationArn is the public OOS template of the database; scale-out holds the
new instance in Pending:Wait, the template's execution (started by the hook, running 1 virtual second
later) appends the instance's IP to the database's `default` whitelist group and completes the
lifecycle action with CONTINUE; scale-in holds it in Removing:Wait and the template deletes the IP.

Sources: ess-api.md §2.7, §5.2, §5.5; db-oos-api.md §1.3-1.7, §3, §4 (template texts, parameters,
the ${...} placeholders ESS fills in, the MongoDB strict Append)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

import pytest

from esl_helpers import activity, ecs_instances, instances
from esl_helpers4 import (  # noqa: F401  (fixtures)
    ACTION_POLARDB,
    TPL_ADB,
    TPL_MONGODB,
    TPL_POLARDB,
    TPL_REDIS,
    adb_create,
    adb_groups,
    create_hook,
    dds_create,
    dds_groups,
    dds_modify,
    executions,
    hook_execution,
    hook_group,
    hooks_of,
    kv_create,
    kv_groups,
    oos_arn,
    only_action,
    polar_create,
    polar_groups,
    scale_in,
    scale_out,
    task_executions,
    task_statuses,
)

TOKEN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class Db:
    template: str
    param: str  # the template parameter naming the database
    create: Callable  # (client, net, advance, name) -> id
    groups: Callable  # (client, id) -> {group: list}
    client: str  # fixture name
    modify_task: str  # the template's second task


DBS = {
    "polardb": Db(TPL_POLARDB, "dbClusterId", polar_create, polar_groups, "polardb", "modifyPolarDBIPWhitelist"),
    "mongodb": Db(TPL_MONGODB, "dbInstanceId", dds_create, dds_groups, "dds", "modifySecurityIps"),
    "analyticdb": Db(TPL_ADB, "dbClusterId", adb_create, adb_groups, "adb", "modifySecurityIps"),
    "redis": Db(TPL_REDIS, "dbInstanceId", kv_create, kv_groups, "kvstore", "modifySecurityIps"),
}


def metadata(db: Db, db_id: str, mode: str) -> str:
    return json.dumps({db.param: db_id, "modifyMode": mode})


@pytest.mark.parametrize("kind", list(DBS))
def test_method3_walk(kind, request, clients, oos, server, advance, net, name):
    c = clients
    db = DBS[kind]
    client = request.getfixturevalue(db.client)
    db_id = db.create(client, net, advance, name)
    assert db.groups(client, db_id) == {"default": "127.0.0.1"}

    asg = hook_group(c, net, name, max_size=3)
    arn = oos_arn(server, db.template)
    out_meta, in_meta = metadata(db, db_id, "Append"), metadata(db, db_id, "Delete")
    h_out = create_hook(
        c, asg, "SCALE_OUT", lifecycle_hook_name="wl-out", default_result="ABANDON", heartbeat_timeout=300,
        notification_arn=arn, notification_metadata=out_meta,
    )
    h_in = create_hook(
        c, asg, "SCALE_IN", lifecycle_hook_name="wl-in", default_result="CONTINUE", heartbeat_timeout=300,
        notification_arn=arn, notification_metadata=in_meta,
    )
    hooks = hooks_of(c, asg)
    assert sorted(hooks) == sorted([h_out, h_in])
    h = hooks[h_out]
    assert (h["LifecycleHookName"], h["ScalingGroupId"], h["LifecycleTransition"]) == ("wl-out", asg, "SCALE_OUT")
    assert (h["DefaultResult"], h["HeartbeatTimeout"], h["LifecycleHookStatus"]) == ("ABANDON", 300, "Active")
    assert (h["NotificationArn"], h["NotificationMetadata"]) == (arn, out_meta)
    assert hooks[h_in]["NotificationMetadata"] == in_meta

    # Scale out: inside the call the instance waits, one action (the SCALE_OUT hook's), one execution.
    act = scale_out(c, asg, 1)
    [inst] = instances(c, asg)
    iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]
    assert inst["LifecycleState"] == "Pending:Wait"
    assert activity(c, act)["StatusCode"] == "InProgress"
    action = only_action(c, act)
    assert action["LifecycleHookId"] == h_out
    assert action["LifecycleActionStatus"] == "Pending"
    assert action["InstanceIds"] == [iid]
    token = action["LifecycleActionToken"]
    assert TOKEN.match(token), token
    ex = hook_execution(oos, h_out, token)
    assert ex["TemplateName"] == db.template
    assert ex["Status"] == "Running"
    params = ex["Parameters"]
    assert {k: params[k] for k in (db.param, "modifyMode", "regionId", "instanceIds", "lifecycleHookId", "lifecycleActionToken")} == {
        db.param: db_id, "modifyMode": "Append", "regionId": "cn-hangzhou", "instanceIds": [iid],
        "lifecycleHookId": h_out, "lifecycleActionToken": token,
    }
    assert db.groups(client, db_id) == {"default": "127.0.0.1"}  # nothing ran yet

    # One virtual second later the template has run: IP whitelisted, action completed, InService.
    advance(1)
    ex = hook_execution(oos, h_out, token)
    assert ex["Status"] == "Success", ex
    assert task_statuses(oos, ex["ExecutionId"]) == [
        ("getInstanceIpAddress", "Success"),
        (db.modify_task, "Success"),
        ("CompleteLifecycleActionForContinue", "Success"),
    ]
    assert db.groups(client, db_id) == {"default": f"127.0.0.1,{ip}"}
    assert {i["InstanceId"]: i["LifecycleState"] for i in instances(c, asg)} == {iid: "InService"}
    a = activity(c, act)
    assert (a["StatusCode"], a["TotalCapacity"]) == ("Successful", "1"), a
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "CONTINUE")

    # Scale in: Removing:Wait, the IP stays until the template deletes it; then the instance goes.
    act_in = scale_in(c, asg, 1)
    assert {i["InstanceId"]: i["LifecycleState"] for i in instances(c, asg)} == {iid: "Removing:Wait"}
    action = only_action(c, act_in)
    assert (action["LifecycleHookId"], action["LifecycleActionStatus"], action["InstanceIds"]) == (h_in, "Pending", [iid])
    token_in = action["LifecycleActionToken"]
    assert db.groups(client, db_id) == {"default": f"127.0.0.1,{ip}"}
    advance(1)
    ex = hook_execution(oos, h_in, token_in)
    assert ex["Status"] == "Success", ex
    assert ex["Parameters"]["modifyMode"] == "Delete"
    assert db.groups(client, db_id) == {"default": "127.0.0.1"}
    advance(60)
    assert instances(c, asg) == []
    assert ecs_instances(c, [iid]) == []
    a = activity(c, act_in)
    assert (a["StatusCode"], a["TotalCapacity"]) == ("Successful", "0"), a
    action = only_action(c, act_in)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "CONTINUE")


def test_polardb_template_runs_its_cloud_product_action(clients, oos, polardb, server, advance, net, name):
    """The PolarDB template loops over the IPs, each through the child template
    ACS::ESS::ModifyPolarDBIPWhitelist (describe, choice, append), a child execution of its own."""
    c = clients
    pc = polar_create(polardb, net, advance, name)
    asg = hook_group(c, net, name, max_size=3)
    h = create_hook(
        c, asg, "SCALE_OUT", notification_arn=oos_arn(server, TPL_POLARDB),
        notification_metadata=json.dumps({"dbClusterId": pc, "modifyMode": "Append"}),
    )
    act = scale_out(c, asg, 2)
    ips = [i["PrivateIpAddress"] for i in sorted(instances(c, asg), key=lambda i: tuple(map(int, i["PrivateIpAddress"].split("."))))]
    token = only_action(c, act)["LifecycleActionToken"]
    advance(1)
    ex = hook_execution(oos, h, token)
    assert ex["Status"] == "Success", ex
    assert set(polar_groups(polardb, pc)["default"].split(",")) == {"127.0.0.1", *ips}
    children = executions(oos, parent_execution_id=ex["ExecutionId"])
    assert len(children) == 2, children
    for child in children:
        assert (child["TemplateName"], child["Status"], child["ParentExecutionId"]) == (ACTION_POLARDB, "Success", ex["ExecutionId"])
        assert child["Parameters"]["dbClusterId"] == pc
        assert child["Parameters"]["modifyMode"] == "Append"
        assert task_statuses(oos, child["ExecutionId"]) == [
            ("describeDBClusterAccessWhitelist", "Success"),
            ("whetherToAppendIpToWhitelist", "Success"),
            ("appendIpToWhitelist", "Success"),
        ]
    assert sorted(ch["Parameters"]["securityIp"] for ch in children) == sorted(ips)
    assert {i["LifecycleState"] for i in instances(c, asg)} == {"InService"}


def test_mongodb_strict_append_failure_abandons(clients, oos, dds, server, advance, net, name):
    """MongoDB's Append refuses an IP already in the group; the template's OnError path completes the
    action with ABANDON: the execution is Failed, the new instance released, the activity Failed."""
    c = clients
    inst = dds_create(dds, net, advance, name)
    asg = hook_group(c, net, name, max_size=3, cooldown=300)
    h = create_hook(
        c, asg, "SCALE_OUT", heartbeat_timeout=600, notification_arn=oos_arn(server, TPL_MONGODB),
        notification_metadata=json.dumps({"dbInstanceId": inst, "modifyMode": "Append"}),
    )
    act = scale_out(c, asg, 1)
    [m] = instances(c, asg)
    iid, ip = m["InstanceId"], m["PrivateIpAddress"]
    # Someone put the address there first.
    dds_modify(dds, inst, ip, "Append")
    token = only_action(c, act)["LifecycleActionToken"]
    advance(1)
    ex = hook_execution(oos, h, token)
    assert ex["Status"] == "Failed", ex
    tasks = task_executions(oos, ex["ExecutionId"])
    assert [(t["TaskName"], t["Status"]) for t in tasks] == [
        ("getInstanceIpAddress", "Success"),
        ("modifySecurityIps", "Failed"),
        ("CompleteLifecycleActionForAbandon", "Success"),
    ]
    assert tasks[1]["StatusMessage"], tasks[1]
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "ABANDON")
    assert instances(c, asg) == []
    assert ecs_instances(c, [iid]) == []
    assert activity(c, act)["StatusCode"] == "Failed"
    # The address was put there by hand, so it stays (ESS only undoes what it added itself).
    assert dds_groups(dds, inst) == {"default": f"127.0.0.1,{ip}"}
