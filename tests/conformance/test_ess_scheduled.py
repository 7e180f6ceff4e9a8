"""Scheduled tasks on the virtual clock (2022 Tea SDK; one 2014 shape check).

Contract (ess-local, issue 3): CreateScheduledTask (ScheduledAction = a rule ARI, or ScalingGroupId
with MinValue / MaxValue / DesiredCapacity; LaunchTime `YYYY-MM-DDThh:mmZ` in the future of the
server's virtual clock; RecurrenceType Daily|Weekly|Monthly|Cron with RecurrenceValue and
RecurrenceEndTime; TaskEnabled), ModifyScheduledTask, DescribeScheduledTasks (filters ScalingGroupId,
ScheduledTaskIds.N, ScheduledTaskNames.N), DeleteScheduledTask. A task fires at LaunchTime; a Daily
task with RecurrenceValue 1 fires again 24 h later; a disabled task does not fire; a LaunchTime in
the past is 400 InvalidParameter (neither ess-api.md nor api-meta documents a more precise code:
the CreateScheduledTask docs list only InvalidRegionId.NotFound, InvalidScheduledTaskName.Duplicate,
QuotaExceeded.ScheduledTask and ScheduledAction.RegionMismatch).

The clock is read from GET /_ess-local/clock; every task is put on a whole minute some minutes
ahead, the clock is moved to 30 s before it (nothing happened yet) and then 60 s on (it fired)."""
from __future__ import annotations

import alibabacloud_ess20220222.models as ess_models

from esl_helpers import (
    REGION,
    call,
    create_rule,
    expect_error,
    group,
)
from esl_helpers3 import (
    active_group,
    advance_to,
    clock_ms,
    create_task,
    delete_task,
    group_activities,
    members,
    minute_str,
    msg_invalid_parameter,
    next_minute_ms,
    tasks,
)

DAY_MS = 86_400_000


def test_scenario_scheduled_task_scales_at_launch_time(clients, advance, server, net, name):
    # Scenario 3: a rule-based task fires exactly at LaunchTime.
    c = clients
    asg, _ = active_group(c, net, name)
    asr, ari = create_rule(c, asg, 2)
    launch = next_minute_ms(clock_ms(server), 10)
    tid = create_task(c, scheduled_task_name=name, scheduled_action=ari, launch_time=minute_str(launch))
    t = tasks(c, scheduled_task_ids=[tid])[tid]
    assert t["ScheduledTaskName"] == name
    assert t["ScheduledAction"] == ari
    assert t["LaunchTime"] == minute_str(launch)
    assert t["TaskEnabled"] is True  # default true (CreateScheduledTask docs)
    assert t["LaunchExpirationTime"] == 600  # default 600 s (CreateScheduledTask docs)

    advance_to(advance, server, launch - 30_000)
    assert group_activities(c, asg) == []
    assert group(c, asg)["TotalCapacity"] == 0

    advance(60)  # LaunchTime + 30 s: the activity started at LaunchTime and (2 s launch) is done
    acts = group_activities(c, asg)
    assert len(acts) == 1, acts
    assert acts[0]["StartTime"] == minute_str(launch)
    assert acts[0]["StatusCode"] == "Successful"
    assert acts[0]["TotalCapacity"] == "2"
    g = group(c, asg)
    assert (g["TotalCapacity"], g["ActiveCapacity"]) == (2, 2)
    assert {m["LifecycleState"] for m in members(c, asg).values()} == {"InService"}

    # A one-off task does not fire again
    advance(DAY_MS // 1000)
    assert len(group_activities(c, asg)) == 1
    assert group(c, asg)["TotalCapacity"] == 2
    delete_task(c, tid)


def test_daily_task_fires_again_a_day_later(clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 1)
    launch = next_minute_ms(clock_ms(server), 5)
    tid = create_task(
        c,
        scheduled_task_name=name,
        scheduled_action=ari,
        launch_time=minute_str(launch),
        recurrence_type="Daily",
        recurrence_value="1",
        recurrence_end_time=minute_str(launch + 3 * DAY_MS),
    )
    t = tasks(c, scheduled_task_ids=[tid])[tid]
    assert (t["RecurrenceType"], t["RecurrenceValue"], t["RecurrenceEndTime"]) == (
        "Daily", "1", minute_str(launch + 3 * DAY_MS)
    )
    advance_to(advance, server, launch + 30_000)
    assert group(c, asg)["TotalCapacity"] == 1
    advance_to(advance, server, launch + DAY_MS - 30_000)
    assert group(c, asg)["TotalCapacity"] == 1
    assert len(group_activities(c, asg)) == 1
    advance(60)
    acts = group_activities(c, asg)
    assert len(acts) == 2
    assert sorted(a["StartTime"] for a in acts) == [minute_str(launch), minute_str(launch + DAY_MS)]
    assert group(c, asg)["TotalCapacity"] == 2
    delete_task(c, tid)


def test_disabled_task_does_not_fire_until_enabled(clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 1)
    launch = next_minute_ms(clock_ms(server), 5)
    tid = create_task(c, scheduled_task_name=name, scheduled_action=ari, launch_time=minute_str(launch),
                      task_enabled=False)
    assert tasks(c, scheduled_task_ids=[tid])[tid]["TaskEnabled"] is False
    advance_to(advance, server, launch + 30_000)
    assert group_activities(c, asg) == []
    assert group(c, asg)["TotalCapacity"] == 0

    # ModifyScheduledTask: enable it, with a new LaunchTime and name
    launch2 = next_minute_ms(clock_ms(server), 5)
    raw = call(
        c.ess.modify_scheduled_task,
        ess_models.ModifyScheduledTaskRequest(
            region_id=REGION, scheduled_task_id=tid, task_enabled=True, launch_time=minute_str(launch2),
            scheduled_task_name=f"{name}-on",
        ),
    )
    assert set(raw) >= {"RequestId"}
    t = tasks(c, scheduled_task_ids=[tid])[tid]
    assert (t["TaskEnabled"], t["LaunchTime"], t["ScheduledTaskName"]) == (True, minute_str(launch2), f"{name}-on")
    advance_to(advance, server, launch2 - 30_000)
    assert group(c, asg)["TotalCapacity"] == 0
    advance(60)
    acts = group_activities(c, asg)
    assert [a["StartTime"] for a in acts] == [minute_str(launch2)]
    assert group(c, asg)["TotalCapacity"] == 1
    delete_task(c, tid)


def test_group_size_task_sets_min_max(clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name, max_size=5)
    launch = next_minute_ms(clock_ms(server), 5)
    tid = create_task(c, scheduled_task_name=name, scaling_group_id=asg, min_value=2, max_value=4,
                      launch_time=minute_str(launch))
    t = tasks(c, scheduled_task_ids=[tid])[tid]
    assert (t["ScalingGroupId"], t["MinValue"], t["MaxValue"]) == (asg, 2, 4)
    advance_to(advance, server, launch - 30_000)
    g = group(c, asg)
    assert (g["MinSize"], g["MaxSize"], g["TotalCapacity"]) == (0, 5, 0)
    advance(60)
    g = group(c, asg)
    assert (g["MinSize"], g["MaxSize"], g["TotalCapacity"]) == (2, 4, 2)
    acts = group_activities(c, asg)
    assert [(a["StartTime"], a["StatusCode"], a["TotalCapacity"]) for a in acts] == [
        (minute_str(launch), "Successful", "2")
    ]
    delete_task(c, tid)


def test_group_size_task_sets_desired_capacity(clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name, desired=1, max_size=5)
    advance(60)
    assert group(c, asg)["TotalCapacity"] == 1
    launch = next_minute_ms(clock_ms(server), 5)
    tid = create_task(c, scheduled_task_name=name, scaling_group_id=asg, desired_capacity=3,
                      launch_time=minute_str(launch))
    assert tasks(c, scheduled_task_ids=[tid])[tid]["DesiredCapacity"] == 3
    advance_to(advance, server, launch + 30_000)
    g = group(c, asg)
    assert (g["DesiredCapacity"], g["TotalCapacity"]) == (3, 3)
    delete_task(c, tid)


def test_deleted_task_does_not_fire(clients, advance, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 1)
    launch = next_minute_ms(clock_ms(server), 5)
    tid = create_task(c, scheduled_task_name=name, scheduled_action=ari, launch_time=minute_str(launch))
    raw = call(c.ess.delete_scheduled_task, ess_models.DeleteScheduledTaskRequest(region_id=REGION, scheduled_task_id=tid))
    assert set(raw) >= {"RequestId"}
    assert tasks(c, scheduled_task_ids=[tid]) == {}
    advance_to(advance, server, launch + 30_000)
    assert group_activities(c, asg) == []
    assert group(c, asg)["TotalCapacity"] == 0


def test_describe_scheduled_tasks_filters(clients, advance, server, net, name):
    c = clients
    g1, _ = active_group(c, net, f"{name}-1")
    g2, _ = active_group(c, net, f"{name}-2")
    launch = minute_str(next_minute_ms(clock_ms(server), 60))
    t1 = create_task(c, scheduled_task_name=f"{name}-t1", scaling_group_id=g1, max_value=3, launch_time=launch)
    t2 = create_task(c, scheduled_task_name=f"{name}-t2", scaling_group_id=g1, max_value=4, launch_time=launch)
    t3 = create_task(c, scheduled_task_name=f"{name}-t3", scaling_group_id=g2, max_value=5, launch_time=launch)
    assert len({t1, t2, t3}) == 3
    assert sorted(tasks(c, scaling_group_id=g1)) == sorted([t1, t2])
    assert sorted(tasks(c, scaling_group_id=g2)) == [t3]
    assert sorted(tasks(c, scheduled_task_ids=[t1, t3])) == sorted([t1, t3])
    got = tasks(c, scheduled_task_names=[f"{name}-t2"])
    assert sorted(got) == [t2]
    assert (got[t2]["ScalingGroupId"], got[t2]["MaxValue"], got[t2]["LaunchTime"]) == (g1, 4, launch)
    assert tasks(c, scheduled_task_ids=["doesnotexist000000000"]) == {}
    # Pagination
    raw = call(c.ess.describe_scheduled_tasks, ess_models.DescribeScheduledTasksRequest(
        region_id=REGION, scaling_group_id=g1, page_size=1, page_number=2))
    assert (raw["TotalCount"], raw["PageNumber"], raw["PageSize"], len(raw["ScheduledTasks"])) == (2, 2, 1, 1)
    for t in (t1, t2, t3):
        delete_task(c, t)
    assert tasks(c, scheduled_task_ids=[t1, t2, t3]) == {}


def test_scheduled_task_launch_time_in_the_past(clients, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 1)
    past = minute_str(clock_ms(server) - DAY_MS)
    expect_error(
        c.ess.create_scheduled_task,
        ess_models.CreateScheduledTaskRequest(region_id=REGION, scheduled_task_name=name, scheduled_action=ari,
                                              launch_time=past),
        status=400,
        code="InvalidParameter",
        message=msg_invalid_parameter("LaunchTime"),
    )
    assert tasks(c, scheduled_task_names=[name]) == {}


def test_scheduled_tasks_2014_shape(core, clients, server, net, name):
    # 2014-08-28: ScheduledTasks wrapped as {"ScheduledTasks": {"ScheduledTask": [...]}}, ScheduledTaskId.N
    from aliyunsdkess.request.v20140828.DescribeScheduledTasksRequest import DescribeScheduledTasksRequest

    c = clients
    asg, _ = active_group(c, net, name)
    launch = minute_str(next_minute_ms(clock_ms(server), 60))
    tid = create_task(c, scheduled_task_name=name, scaling_group_id=asg, min_value=1, launch_time=launch)
    req = DescribeScheduledTasksRequest()
    req.set_ScheduledTaskIds([tid])
    body = core.do(req)
    assert set(body["ScheduledTasks"]) == {"ScheduledTask"}, body
    items = body["ScheduledTasks"]["ScheduledTask"]
    assert [t["ScheduledTaskId"] for t in items] == [tid]
    assert (items[0]["LaunchTime"], items[0]["MinValue"], items[0]["TaskEnabled"]) == (launch, 1, True)
    assert body["TotalCount"] == 1
    delete_task(c, tid)


def test_recurrence_types_are_stored(clients, server, net, name):
    c = clients
    asg, _ = active_group(c, net, name)
    _, ari = create_rule(c, asg, 1)
    launch = next_minute_ms(clock_ms(server), 60)
    end = minute_str(launch + 30 * DAY_MS)
    made = {}
    for kind, value in (("Daily", "2"), ("Weekly", "1,3,5"), ("Monthly", "1-15"), ("Cron", "0 8 * * *")):
        tid = create_task(
            c, scheduled_task_name=f"{name}-{kind}", scheduled_action=ari, launch_time=minute_str(launch),
            recurrence_type=kind, recurrence_value=value, recurrence_end_time=end,
        )
        made[tid] = (kind, value)
    got = tasks(c, scheduled_task_ids=list(made))
    assert sorted(got) == sorted(made)
    for tid, (kind, value) in made.items():
        t = got[tid]
        assert (t["RecurrenceType"], t["RecurrenceValue"], t["RecurrenceEndTime"]) == (kind, value, end)
        assert t["ScheduledAction"] == ari
    for tid in made:
        delete_task(c, tid)
