"""ESS lifecycle hooks and lifecycle actions through the 2022 Tea SDK: hook CRUD and its errors, the
waits of scale-out (Pending:Wait) and scale-in (Removing:Wait), their ends (CompleteLifecycleAction
CONTINUE / ABANDON / ROLLBACK, the heartbeat timeout with DefaultResult, deleting the hook), the
heartbeat limits (20 records, 6 hours), several hooks on one activity, inactive hooks, the activities
that skip hooks, and the order of Method 2 (RDS association) and Method 3 (hook + OOS template).

Sources: ess-api.md §2.7, §4, §5.2, §5.4, §5.5; db-oos-api.md §4.1."""
from __future__ import annotations

import json

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    REGION,
    activity,
    call,
    create_rds,
    create_rule,
    ecs_instances,
    execute,
    expect_error,
    instances,
    whitelist,
)
from esl_helpers3 import group_activities, msg_invalid_parameter, running_instances
from esl_helpers4 import (  # noqa: F401  (fixtures)
    MSG_ARN_INVALID,
    MSG_HOOK_NAME_DUP,
    MSG_HOOK_NOT_EXIST,
    MSG_RECORD_TIMES,
    MSG_TIME_EXCEEDED,
    MSG_TOKEN_INVALID,
    TPL_POLARDB,
    actions_by_hook,
    complete,
    complete_request,
    create_hook,
    delete_hook,
    heartbeat,
    heartbeat_request,
    hook_execution,
    hook_group,
    hook_request,
    hooks_of,
    lifecycle_actions,
    modify_hook,
    no_hooks_context,
    only_action,
    oos_arn,
    polar_create,
    polar_groups,
    scale_in,
    scale_out,
)


def states(c, asg) -> dict[str, str]:
    return {i["InstanceId"]: i["LifecycleState"] for i in instances(c, asg)}


def ips(c, asg) -> dict[str, str]:
    return {i["InstanceId"]: i["PrivateIpAddress"] for i in instances(c, asg)}


# ------------------------------------------------------------------------------------------------
# Hooks: create, describe, modify, delete, and their errors


def test_hook_defaults_and_describe(clients, server, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT")
    [item] = hooks_of(c, asg).values()
    assert item == {
        "LifecycleHookId": h,
        "LifecycleHookName": h,  # default name = the id
        "ScalingGroupId": asg,
        "LifecycleTransition": "SCALE_OUT",
        "DefaultResult": "CONTINUE",
        "HeartbeatTimeout": 600,
        "NotificationArn": f"acs:ess:{REGION}:{server.account_id}:null/null",
        "LifecycleHookStatus": "Active",
        **({"NotificationMetadata": item["NotificationMetadata"]} if "NotificationMetadata" in item else {}),
    }
    assert item.get("NotificationMetadata") in (None, "")
    # By id, and by group + name.
    raw = call(c.ess.describe_lifecycle_hooks, ess_models.DescribeLifecycleHooksRequest(region_id=REGION, lifecycle_hook_ids=[h]))
    assert [x["LifecycleHookId"] for x in raw["LifecycleHooks"]] == [h]
    assert (raw["TotalCount"], raw["PageNumber"], raw["PageSize"]) == (1, 1, 50)
    h2 = create_hook(c, asg, "SCALE_IN", lifecycle_hook_name="drain", default_result="ABANDON", heartbeat_timeout=30)
    assert list(hooks_of(c, asg, lifecycle_hook_name="drain")) == [h2]
    assert sorted(hooks_of(c, asg)) == sorted([h, h2])
    d = hooks_of(c, asg)[h2]
    assert (d["LifecycleTransition"], d["DefaultResult"], d["HeartbeatTimeout"]) == ("SCALE_IN", "ABANDON", 30)


def test_hooks_inline_in_create_scaling_group(clients, server, net, name):
    c = clients
    arn = oos_arn(server, TPL_POLARDB)
    meta = json.dumps({"dbClusterId": "pc-x", "modifyMode": "Append"})
    asg = hook_group(
        c, net, name,
        hooks=[
            ess_models.CreateScalingGroupRequestLifecycleHooks(
                lifecycle_hook_name="in-1", lifecycle_transition="SCALE_OUT", default_result="ABANDON",
                heartbeat_timeout=120, notification_arn=arn, notification_metadata=meta,
            ),
            ess_models.CreateScalingGroupRequestLifecycleHooks(lifecycle_hook_name="in-2", lifecycle_transition="SCALE_IN"),
        ],
    )
    by_name = {h["LifecycleHookName"]: h for h in hooks_of(c, asg).values()}
    assert sorted(by_name) == ["in-1", "in-2"]
    a = by_name["in-1"]
    assert (a["LifecycleTransition"], a["DefaultResult"], a["HeartbeatTimeout"]) == ("SCALE_OUT", "ABANDON", 120)
    assert (a["NotificationArn"], a["NotificationMetadata"], a["LifecycleHookStatus"]) == (arn, meta, "Active")
    b = by_name["in-2"]
    assert (b["LifecycleTransition"], b["DefaultResult"], b["HeartbeatTimeout"]) == ("SCALE_IN", "CONTINUE", 600)


def test_hook_errors(clients, server, net, name):
    c = clients
    asg = hook_group(c, net, name)
    create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name="one")
    expect_error(
        c.ess.create_lifecycle_hook, hook_request(asg, "SCALE_IN", lifecycle_hook_name="one"),
        status=400, code="InvalidLifecycleHookName.Duplicate", message=MSG_HOOK_NAME_DUP,
    )
    for t in (29, 21601):
        expect_error(
            c.ess.create_lifecycle_hook, hook_request(asg, "SCALE_OUT", heartbeat_timeout=t),
            status=400, code="InvalidParameter", message=msg_invalid_parameter("HeartbeatTimeout"),
        )
    # Bad ARNs: another account, another region, a kind OOS does not have, a template nobody wrote.
    acct = server.account_id
    other = "1" * 16 if acct != "1" * 16 else "2" * 16
    for arn in (
        oos_arn(server, TPL_POLARDB, account=other),
        oos_arn(server, TPL_POLARDB, region="cn-shanghai"),
        f"acs:oos:{REGION}:{acct}:queue/{TPL_POLARDB}",
        oos_arn(server, "no-such-template"),
        "not-an-arn",
    ):
        expect_error(
            c.ess.create_lifecycle_hook,
            hook_request(asg, "SCALE_OUT", notification_arn=arn, notification_metadata="{}"),
            status=400, code="InvalidNotificationArn", message=MSG_ARN_INVALID,
        )
    # OOS metadata must be a JSON object of template parameters.
    for meta in ('["dbClusterId"]', "dbClusterId=pc-1", "42"):
        expect_error(
            c.ess.create_lifecycle_hook,
            hook_request(asg, "SCALE_OUT", notification_arn=oos_arn(server, TPL_POLARDB), notification_metadata=meta),
            status=400, code="InvalidParameter",
        )
    # An MNS queue ARN is a valid target (no OOS execution).
    create_hook(c, asg, "SCALE_IN", notification_arn=f"acs:mns:{REGION}:{acct}:queue/q1")
    # Six hooks per group; the seventh is refused.
    for i in range(4):
        create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name=f"more-{i}")
    assert len(hooks_of(c, asg)) == 6
    expect_error(
        c.ess.create_lifecycle_hook, hook_request(asg, "SCALE_OUT", lifecycle_hook_name="seventh"),
        status=400, code="QuotaExceeded.LifecycleHook",
    )
    # Unknown hook ids.
    expect_error(
        c.ess.modify_lifecycle_hook,
        ess_models.ModifyLifecycleHookRequest(region_id=REGION, lifecycle_hook_id="ash-doesnotexist", heartbeat_timeout=60),
        status=400, code="InvalidLifecycleHookId.NotExist", message=MSG_HOOK_NOT_EXIST,
    )
    expect_error(
        c.ess.delete_lifecycle_hook,
        ess_models.DeleteLifecycleHookRequest(region_id=REGION, lifecycle_hook_id="ash-doesnotexist"),
        status=400, code="InvalidLifecycleHookId.NotExist", message=MSG_HOOK_NOT_EXIST,
    )


def test_modify_and_delete_hook(clients, server, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name="mod")
    modify_hook(c, lifecycle_hook_id=h, heartbeat_timeout=45, default_result="ABANDON")
    d = hooks_of(c, asg)[h]
    assert (d["HeartbeatTimeout"], d["DefaultResult"], d["LifecycleHookStatus"]) == (45, "ABANDON", "Active")
    # By group + name: status, transition, target.
    arn = oos_arn(server, TPL_POLARDB)
    meta = json.dumps({"dbClusterId": "pc-y", "modifyMode": "Delete"})
    modify_hook(
        c, scaling_group_id=asg, lifecycle_hook_name="mod", lifecycle_hook_status="InActive",
        lifecycle_transition="SCALE_IN", notification_arn=arn, notification_metadata=meta,
    )
    d = hooks_of(c, asg)[h]
    assert (d["LifecycleHookStatus"], d["LifecycleTransition"]) == ("InActive", "SCALE_IN")
    assert (d["NotificationArn"], d["NotificationMetadata"]) == (arn, meta)
    modify_hook(c, lifecycle_hook_id=h, lifecycle_hook_status="Active")
    assert hooks_of(c, asg)[h]["LifecycleHookStatus"] == "Active"
    expect_error(
        c.ess.modify_lifecycle_hook,
        ess_models.ModifyLifecycleHookRequest(region_id=REGION, lifecycle_hook_id=h, notification_metadata="[1]"),
        status=400, code="InvalidParameter",
    )
    expect_error(
        c.ess.modify_lifecycle_hook,
        ess_models.ModifyLifecycleHookRequest(region_id=REGION, lifecycle_hook_id=h, heartbeat_timeout=10),
        status=400, code="InvalidParameter", message=msg_invalid_parameter("HeartbeatTimeout"),
    )
    delete_hook(c, scaling_group_id=asg, lifecycle_hook_name="mod")
    assert hooks_of(c, asg) == {}
    expect_error(
        c.ess.delete_lifecycle_hook,
        ess_models.DeleteLifecycleHookRequest(region_id=REGION, lifecycle_hook_id=h),
        status=400, code="InvalidLifecycleHookId.NotExist", message=MSG_HOOK_NOT_EXIST,
    )


# ------------------------------------------------------------------------------------------------
# Scale-out waits


def test_scale_out_wait_and_continue(clients, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", heartbeat_timeout=300)
    asr, ari = create_rule(c, asg, 2)
    act = execute(c, ari)
    st = states(c, asg)
    assert list(st.values()) == ["Pending:Wait", "Pending:Wait"]
    a = activity(c, act)
    assert a["StatusCode"] == "InProgress"
    # Another activity is refused while this one waits.
    expect_error(
        c.ess.execute_scaling_rule, ess_models.ExecuteScalingRuleRequest(region_id=REGION, scaling_rule_ari=ari),
        status=400, code="ScalingActivityInProgress",
    )
    action = only_action(c, act)
    assert action["LifecycleHookId"] == h
    assert sorted(action["InstanceIds"]) == sorted(st)
    assert action["LifecycleActionStatus"] == "Pending"
    assert action.get("LifecycleActionResult") in (None, "")
    complete(c, h, action["LifecycleActionToken"], "CONTINUE")
    # In the call itself: InService, Successful.
    assert list(states(c, asg).values()) == ["InService", "InService"]
    a = activity(c, act)
    assert (a["StatusCode"], a["Progress"], a["TotalCapacity"]) == ("Successful", 100, "2"), a
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "CONTINUE")
    # A finished action's token is no longer valid.
    expect_error(
        c.ess.complete_lifecycle_action, complete_request(h, action["LifecycleActionToken"], "CONTINUE"),
        status=400, code="LifecycleHookIdAndLifecycleActionToken.Invalid", message=MSG_TOKEN_INVALID,
    )


def test_complete_without_result_uses_default_result(clients, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", default_result="ABANDON")
    act = scale_out(c, asg, 1)
    [iid] = states(c, asg)
    complete(c, h, only_action(c, act)["LifecycleActionToken"])
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "ABANDON")
    assert instances(c, asg) == []
    assert ecs_instances(c, [iid]) == []


def test_wrong_token(clients, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT")
    other = create_hook(c, asg, "SCALE_IN")
    act = scale_out(c, asg, 1)
    token = only_action(c, act)["LifecycleActionToken"]
    bad_token = "00000000-0000-0000-0000-000000000000"
    for hook, tok in ((h, bad_token), (other, token), ("ash-doesnotexist", token)):
        expect_error(
            c.ess.complete_lifecycle_action, complete_request(hook, tok, "CONTINUE"),
            status=400, code="LifecycleHookIdAndLifecycleActionToken.Invalid", message=MSG_TOKEN_INVALID,
        )
        expect_error(
            c.ess.record_lifecycle_action_heartbeat, heartbeat_request(hook, tok, 60),
            status=400, code="LifecycleHookIdAndLifecycleActionToken.Invalid", message=MSG_TOKEN_INVALID,
        )
    expect_error(
        c.ess.complete_lifecycle_action, complete_request(h, token, "MAYBE"),
        status=400, code="InvalidParameter",
    )
    # Nothing of that changed the wait.
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    assert only_action(c, act)["LifecycleActionStatus"] == "Pending"
    complete(c, h, token, "CONTINUE")
    assert list(states(c, asg).values()) == ["InService"]


def test_rollback_on_scale_out_releases_and_unlists(clients, advance, net, name):
    """Method 2 + hook: the IPs are in the RDS whitelist before the wait; ROLLBACK (like ABANDON)
    releases the new instances and takes their IPs out again."""
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg = hook_group(c, net, name, rds_ids=[rm])
    h = create_hook(c, asg, "SCALE_OUT")
    act = scale_out(c, asg, 2)
    addrs = ips(c, asg)
    assert set(states(c, asg).values()) == {"Pending:Wait"}
    assert set(whitelist(c, rm).split(",")) == {"127.0.0.1", *addrs.values()}
    complete(c, h, only_action(c, act)["LifecycleActionToken"], "ROLLBACK")
    assert instances(c, asg) == []
    assert whitelist(c, rm) == "127.0.0.1"
    advance(60)
    assert ecs_instances(c, list(addrs)) == []
    a = activity(c, act)
    assert a["StatusCode"] == "Failed", a
    assert only_action(c, act)["LifecycleActionResult"] == "ROLLBACK"


def test_timeout_applies_default_result_abandon(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", default_result="ABANDON", heartbeat_timeout=30)
    act = scale_out(c, asg, 2)
    ids = list(states(c, asg))
    advance(29)
    assert set(states(c, asg).values()) == {"Pending:Wait"}
    assert only_action(c, act)["LifecycleActionStatus"] == "Pending"
    advance(1)
    action = only_action(c, act)
    assert (action["LifecycleHookId"], action["LifecycleActionStatus"], action["LifecycleActionResult"]) == (h, "Timeout", "ABANDON")
    assert instances(c, asg) == []
    advance(60)
    assert ecs_instances(c, ids) == []
    assert activity(c, act)["StatusCode"] == "Failed"
    # A completion after the timeout is refused.
    expect_error(
        c.ess.complete_lifecycle_action, complete_request(h, action["LifecycleActionToken"], "CONTINUE"),
        status=400, code="LifecycleHookIdAndLifecycleActionToken.Invalid", message=MSG_TOKEN_INVALID,
    )


def test_timeout_applies_default_result_continue(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    create_hook(c, asg, "SCALE_OUT", heartbeat_timeout=30)
    act = scale_out(c, asg, 1)
    advance(30)
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Timeout", "CONTINUE")
    assert list(states(c, asg).values()) == ["InService"]
    assert activity(c, act)["StatusCode"] == "Successful"


def test_abandoned_convergence_retries_after_cooldown(clients, advance, net, name):
    """A group below MinSize converges; an abandoned scale-out is tried again only after the group's
    DefaultCooldown."""
    c = clients
    asg = hook_group(
        c, net, name, min_size=1, cooldown=120,
        hooks=[ess_models.CreateScalingGroupRequestLifecycleHooks(
            lifecycle_hook_name="gate", lifecycle_transition="SCALE_OUT", default_result="ABANDON", heartbeat_timeout=30,
        )],
    )
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    [first] = group_activities(c, asg)
    advance(30)
    assert instances(c, asg) == []
    assert activity(c, first["ScalingActivityId"])["StatusCode"] == "Failed"
    advance(119)
    assert instances(c, asg) == []
    assert len(group_activities(c, asg)) == 1
    advance(1)
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    assert len(group_activities(c, asg)) == 2


# ------------------------------------------------------------------------------------------------
# Heartbeats


def test_heartbeat_extends_the_wait_at_most_20_times(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", default_result="ABANDON", heartbeat_timeout=30)
    act = scale_out(c, asg, 1)
    token = only_action(c, act)["LifecycleActionToken"]
    heartbeat(c, h, token, 60)  # the deadline is now + 60 s
    advance(45)
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    heartbeat(c, h, token)  # the hook's own timeout (30 s) from now
    advance(29)
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    for _ in range(18):
        heartbeat(c, h, token, 30)
    expect_error(
        c.ess.record_lifecycle_action_heartbeat, heartbeat_request(h, token, 30),
        status=400, code="LifecycleAction.RecordTimesExceeded", message=MSG_RECORD_TIMES,
    )
    expect_error(
        c.ess.record_lifecycle_action_heartbeat, heartbeat_request(h, token, 29),
        status=400, code="InvalidParameter",
    )
    assert only_action(c, act)["LifecycleActionStatus"] == "Pending"
    advance(30)
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Timeout", "ABANDON")
    assert instances(c, asg) == []


def test_heartbeat_total_wait_at_most_6_hours(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", heartbeat_timeout=21600)
    act = scale_out(c, asg, 1)
    token = only_action(c, act)["LifecycleActionToken"]
    heartbeat(c, h, token, 21600)  # exactly 6 h from the start: allowed
    advance(1)
    expect_error(
        c.ess.record_lifecycle_action_heartbeat, heartbeat_request(h, token, 21600),
        status=400, code="LifecycleAction.TimeExceeded", message=MSG_TIME_EXCEEDED,
    )
    heartbeat(c, h, token, 21599)  # 6 h from the start again
    advance(21598)
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    expect_error(
        c.ess.record_lifecycle_action_heartbeat, heartbeat_request(h, token, 30),
        status=400, code="LifecycleAction.TimeExceeded", message=MSG_TIME_EXCEEDED,
    )
    advance(1)
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Timeout", "CONTINUE")
    assert list(states(c, asg).values()) == ["InService"]


# ------------------------------------------------------------------------------------------------
# Scale-in waits


def test_scale_in_wait_continue_rollback_and_rds(clients, advance, net, name):
    """Method 2 + a SCALE_IN hook: during Removing:Wait the IP stays in the RDS whitelist; CONTINUE
    takes it out and removes the instance; ROLLBACK keeps the instance InService and listed."""
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    asg = hook_group(c, net, name, rds_ids=[rm])
    h = create_hook(c, asg, "SCALE_IN", heartbeat_timeout=300)
    scale_out(c, asg, 2)
    advance(60)
    addrs = ips(c, asg)
    assert set(states(c, asg).values()) == {"InService"}
    full = set(whitelist(c, rm).split(","))
    assert full == {"127.0.0.1", *addrs.values()}

    # ROLLBACK: kept.
    act = scale_in(c, asg, 1)
    waiting = [i for i, s in states(c, asg).items() if s == "Removing:Wait"]
    assert len(waiting) == 1
    assert set(whitelist(c, rm).split(",")) == full
    action = only_action(c, act)
    assert (action["LifecycleHookId"], action["InstanceIds"]) == (h, waiting)
    complete(c, h, action["LifecycleActionToken"], "ROLLBACK")
    assert set(states(c, asg).values()) == {"InService"}
    assert set(whitelist(c, rm).split(",")) == full
    assert activity(c, act)["StatusCode"] == "Failed"

    # CONTINUE: the IP leaves in the call, the instance afterwards.
    act = scale_in(c, asg, 1)
    [gone] = [i for i, s in states(c, asg).items() if s == "Removing:Wait"]
    [stay] = [i for i in addrs if i != gone]
    advance(100)
    assert states(c, asg)[gone] == "Removing:Wait"
    assert addrs[gone] in whitelist(c, rm).split(",")
    complete(c, h, only_action(c, act)["LifecycleActionToken"], "CONTINUE")
    assert whitelist(c, rm) == f"127.0.0.1,{addrs[stay]}"
    advance(60)
    assert states(c, asg) == {stay: "InService"}
    assert ecs_instances(c, [gone]) == []
    a = activity(c, act)
    assert (a["StatusCode"], a["TotalCapacity"]) == ("Successful", "1"), a


def test_several_scale_in_hooks(clients, advance, net, name):
    """Each hook has its own action; CONTINUE from one leaves the other waiting; the first ABANDON or
    ROLLBACK ends the others early."""
    c = clients
    asg = hook_group(c, net, name)
    h1 = create_hook(c, asg, "SCALE_IN", lifecycle_hook_name="h1")
    h2 = create_hook(c, asg, "SCALE_IN", lifecycle_hook_name="h2")
    scale_out(c, asg, 2)
    advance(60)

    act = scale_in(c, asg, 1)
    acts = actions_by_hook(c, act)
    assert sorted(acts) == sorted([h1, h2])
    assert acts[h1]["LifecycleActionToken"] != acts[h2]["LifecycleActionToken"]
    complete(c, h1, acts[h1]["LifecycleActionToken"], "ROLLBACK")
    acts = actions_by_hook(c, act)
    assert acts[h1]["LifecycleActionStatus"] == "Completed"
    assert acts[h2]["LifecycleActionStatus"] != "Pending"
    assert set(states(c, asg).values()) == {"InService"}
    expect_error(
        c.ess.complete_lifecycle_action, complete_request(h2, acts[h2]["LifecycleActionToken"], "CONTINUE"),
        status=400, code="LifecycleHookIdAndLifecycleActionToken.Invalid",
    )

    act = scale_in(c, asg, 1)
    acts = actions_by_hook(c, act)
    [waiting] = [i for i, s in states(c, asg).items() if s == "Removing:Wait"]
    complete(c, h1, acts[h1]["LifecycleActionToken"], "CONTINUE")
    assert states(c, asg)[waiting] == "Removing:Wait"
    assert actions_by_hook(c, act)[h2]["LifecycleActionStatus"] == "Pending"
    complete(c, h2, acts[h2]["LifecycleActionToken"], "ABANDON")
    advance(60)
    assert waiting not in states(c, asg)
    assert len(instances(c, asg)) == 1


# ------------------------------------------------------------------------------------------------
# Which activities fire which hooks


def test_inactive_hook_does_not_fire_and_delete_ends_the_wait(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", default_result="ABANDON")
    modify_hook(c, lifecycle_hook_id=h, lifecycle_hook_status="InActive")
    act = scale_out(c, asg, 1)
    assert list(states(c, asg).values()) == ["Pending"]
    raw = lifecycle_actions(c, act)
    assert (raw["TotalCount"], raw["LifecycleActions"]) == (0, [])
    advance(60)
    assert list(states(c, asg).values()) == ["InService"]

    modify_hook(c, lifecycle_hook_id=h, lifecycle_hook_status="Active")
    act = scale_out(c, asg, 1)
    [new] = [i for i, s in states(c, asg).items() if s == "Pending:Wait"]
    delete_hook(c, lifecycle_hook_id=h)
    # The wait ended with the hook's DefaultResult (ABANDON): the new instance is released.
    assert new not in states(c, asg)
    assert len(instances(c, asg)) == 1
    action = only_action(c, act)
    assert action["LifecycleActionStatus"] != "Pending"
    assert action["LifecycleActionResult"] == "ABANDON"
    assert activity(c, act)["StatusCode"] == "Failed"


def test_lifecycle_hook_context_skips_hooks(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h1 = create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name="ha")
    h2 = create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name="hb")
    h_in = create_hook(c, asg, "SCALE_IN", lifecycle_hook_name="hc")
    # DisableLifecycleHook: no wait at all.
    act = scale_out(c, asg, 1, lifecycle_hook_context=no_hooks_context())
    assert list(states(c, asg).values()) == ["Pending"]
    assert lifecycle_actions(c, act)["TotalCount"] == 0
    advance(60)
    # IgnoredLifecycleHookIds: only the other hook holds the instance.
    act = scale_out(
        c, asg, 1,
        lifecycle_hook_context=ess_models.ScaleWithAdjustmentRequestLifecycleHookContext(ignored_lifecycle_hook_ids=[h1]),
    )
    assert list(actions_by_hook(c, act)) == [h2]
    complete(c, h2, only_action(c, act)["LifecycleActionToken"], "CONTINUE")
    assert set(states(c, asg).values()) == {"InService"}
    first, second = sorted(states(c, asg))
    # RemoveInstances with DisableLifecycleHook: straight to Removing.
    act = call(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(
            region_id=REGION, scaling_group_id=asg, instance_ids=[first],
            lifecycle_hook_context=ess_models.RemoveInstancesRequestLifecycleHookContext(disable_lifecycle_hook=True),
        ),
    )["ScalingActivityId"]
    assert states(c, asg)[first] == "Removing"
    assert lifecycle_actions(c, act)["TotalCount"] == 0
    advance(60)
    # RemoveInstances ignoring the SCALE_IN hook by id.
    act = call(
        c.ess.remove_instances,
        ess_models.RemoveInstancesRequest(
            region_id=REGION, scaling_group_id=asg, instance_ids=[second],
            lifecycle_hook_context=ess_models.RemoveInstancesRequestLifecycleHookContext(ignored_lifecycle_hook_ids=[h_in]),
        ),
    )["ScalingActivityId"]
    assert states(c, asg)[second] == "Removing"
    assert lifecycle_actions(c, act)["TotalCount"] == 0
    advance(60)
    assert instances(c, asg) == []


def test_activity_echoes_lifecycle_hook_context(clients, net, name):
    """ess-api.md §3.3: a 2022 ScalingActivity carries LifecycleHookContext{DisableLifecycleHook,
    IgnoredLifecycleHookIds[]}."""
    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT")
    act = scale_out(c, asg, 1, lifecycle_hook_context=no_hooks_context())
    ctx = activity(c, act).get("LifecycleHookContext")
    assert ctx is not None and ctx.get("DisableLifecycleHook") is True, ctx
    asg2 = hook_group(c, net, name + "-2")
    h2 = create_hook(c, asg2, "SCALE_OUT")
    act = scale_out(
        c, asg2, 1,
        lifecycle_hook_context=ess_models.ScaleWithAdjustmentRequestLifecycleHookContext(ignored_lifecycle_hook_ids=[h2]),
    )
    ctx = activity(c, act).get("LifecycleHookContext")
    assert ctx is not None and ctx.get("IgnoredLifecycleHookIds") == [h2], ctx
    assert h != h2


def test_attach_detach_fire_hooks_only_with_lifecycle_hook_true(clients, advance, net, name):
    c = clients
    asg = hook_group(c, net, name)
    h_out = create_hook(c, asg, "SCALE_OUT")
    h_in = create_hook(c, asg, "SCALE_IN")
    x, y = running_instances(c, advance, net, 2, name=name)
    req = lambda ids, **kw: ess_models.AttachInstancesRequest(region_id=REGION, scaling_group_id=asg, instance_ids=ids, **kw)  # noqa: E731
    call(c.ess.attach_instances, req([x]))
    assert states(c, asg) == {x: "Pending"}
    advance(60)
    act = call(c.ess.attach_instances, req([y], lifecycle_hook=True))["ScalingActivityId"]
    assert states(c, asg) == {x: "InService", y: "Pending:Wait"}
    action = only_action(c, act)
    assert (action["LifecycleHookId"], action["InstanceIds"]) == (h_out, [y])
    complete(c, h_out, action["LifecycleActionToken"], "CONTINUE")
    assert states(c, asg) == {x: "InService", y: "InService"}

    det = lambda ids, **kw: ess_models.DetachInstancesRequest(scaling_group_id=asg, instance_ids=ids, **kw)  # noqa: E731
    act = call(c.ess.detach_instances, det([x]))["ScalingActivityId"]
    assert states(c, asg)[x] == "Removing"
    assert lifecycle_actions(c, act)["TotalCount"] == 0
    advance(60)
    act = call(c.ess.detach_instances, det([y], lifecycle_hook=True))["ScalingActivityId"]
    assert states(c, asg) == {y: "Removing:Wait"}
    action = only_action(c, act)
    assert (action["LifecycleHookId"], action["InstanceIds"]) == (h_in, [y])
    complete(c, h_in, action["LifecycleActionToken"], "CONTINUE")
    advance(60)
    assert instances(c, asg) == []
    # Detached, not released.
    assert {e["InstanceId"]: e["Status"] for e in ecs_instances(c, [x, y])} == {x: "Running", y: "Running"}


def test_describe_lifecycle_actions_paging(clients, net, name):
    c = clients
    asg = hook_group(c, net, name)
    hs = [create_hook(c, asg, "SCALE_OUT", lifecycle_hook_name=f"p{i}") for i in range(3)]
    act = scale_out(c, asg, 1)
    raw = lifecycle_actions(c, act)
    assert (raw["TotalCount"], raw["MaxResults"], len(raw["LifecycleActions"])) == (3, 10, 3)
    assert raw.get("NextToken", "") == ""
    page1 = lifecycle_actions(c, act, max_results=2)
    assert (page1["TotalCount"], page1["MaxResults"], len(page1["LifecycleActions"])) == (3, 2, 2)
    assert page1["NextToken"]
    page2 = lifecycle_actions(c, act, max_results=2, next_token=page1["NextToken"])
    assert len(page2["LifecycleActions"]) == 1
    assert page2.get("NextToken", "") == ""
    got = {a["LifecycleHookId"]: a for a in page1["LifecycleActions"] + page2["LifecycleActions"]}
    assert sorted(got) == sorted(hs)
    assert lifecycle_actions(c, act, lifecycle_action_status="Pending")["TotalCount"] == 3
    assert lifecycle_actions(c, act, lifecycle_action_status="Completed")["TotalCount"] == 0
    expect_error(
        c.ess.describe_lifecycle_actions,
        ess_models.DescribeLifecycleActionsRequest(region_id=REGION, scaling_activity_id="asa-doesnotexist"),
        status=400, code="InvalidParameter",
    )
    # The activity goes on only when the last action ends.
    for i, h in enumerate(hs):
        complete(c, h, got[h]["LifecycleActionToken"], "CONTINUE")
        expected = "InService" if i == 2 else "Pending:Wait"
        assert list(states(c, asg).values()) == [expected]
    assert lifecycle_actions(c, act, lifecycle_action_status="Completed")["TotalCount"] == 3


def test_scheduled_task_fires_the_hook(clients, advance, server, net, name):
    from esl_helpers3 import advance_to, clock_ms, create_task, minute_str, next_minute_ms

    c = clients
    asg = hook_group(c, net, name)
    h = create_hook(c, asg, "SCALE_OUT", heartbeat_timeout=30, default_result="ABANDON")
    asr, ari = create_rule(c, asg, 1)
    launch = next_minute_ms(clock_ms(server), 5)
    create_task(c, scheduled_task_name=name, scheduled_action=ari, launch_time=minute_str(launch))
    advance_to(advance, server, launch + 1000)
    assert list(states(c, asg).values()) == ["Pending:Wait"]
    [act] = group_activities(c, asg)
    assert only_action(c, act["ScalingActivityId"])["LifecycleHookId"] == h
    advance(30)
    assert instances(c, asg) == []


# ------------------------------------------------------------------------------------------------
# Method 2 and Method 3 together


def test_method2_and_method3_ordering(clients, oos, polardb, server, advance, net, name):
    """The RDS whitelist (ESS-native association) gets the IP before the scale-out wait, the PolarDB
    one (OOS template) during it; on scale-in the PolarDB IP leaves during the wait and the RDS IP
    only after it."""
    c = clients
    rm = create_rds(c, advance, net.vpc_id, net.db_vsw_id, name)
    pc = polar_create(polardb, net, advance, name)
    asg = hook_group(c, net, name, rds_ids=[rm])
    arn = oos_arn(server, TPL_POLARDB)
    h_out = create_hook(c, asg, "SCALE_OUT", notification_arn=arn,
                        notification_metadata=json.dumps({"dbClusterId": pc, "modifyMode": "Append"}))
    h_in = create_hook(c, asg, "SCALE_IN", heartbeat_timeout=600, notification_arn=arn,
                       notification_metadata=json.dumps({"dbClusterId": pc, "modifyMode": "Delete"}))
    asr, ari = create_rule(c, asg, 1)
    act = execute(c, ari)
    [(iid, ip)] = ips(c, asg).items()
    assert states(c, asg) == {iid: "Pending:Wait"}
    assert whitelist(c, rm) == f"127.0.0.1,{ip}"
    assert polar_groups(polardb, pc)["default"] == "127.0.0.1"
    advance(1)
    assert polar_groups(polardb, pc)["default"] == f"127.0.0.1,{ip}"
    assert whitelist(c, rm) == f"127.0.0.1,{ip}"
    assert states(c, asg) == {iid: "InService"}
    assert activity(c, act)["StatusCode"] == "Successful"

    act = scale_in(c, asg, 1)
    assert states(c, asg) == {iid: "Removing:Wait"}
    token = only_action(c, act)["LifecycleActionToken"]
    assert whitelist(c, rm) == f"127.0.0.1,{ip}"
    assert hook_execution(oos, h_in, token)["Status"] == "Running"
    advance(1)
    assert hook_execution(oos, h_in, token)["Status"] == "Success"
    assert polar_groups(polardb, pc)["default"] == "127.0.0.1"
    # The template completed the action: the wait is over and the RDS IP has left too.
    assert whitelist(c, rm) == "127.0.0.1"
    advance(60)
    assert instances(c, asg) == []
    assert activity(c, act)["StatusCode"] == "Successful"
    assert h_out != h_in
