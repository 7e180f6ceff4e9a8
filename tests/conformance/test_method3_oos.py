"""OOS (2019-06-01) through its official SDK: the public ACS templates, the account's own templates
(JSON and YAML; create, get, list, update, delete, and their errors), executions and task executions,
cancelling a waiting execution, and user-written templates as lifecycle-hook targets (one that
completes the action itself, one whose API call fails and abandons it).

Sources: db-oos-api.md §3 (template format, APIs), §4.1 (how ESS starts an execution for a hook);
ess-api.md §2.7 (the ${...} placeholders)."""
from __future__ import annotations

import hashlib
import json

import alibabacloud_oos20190601.models as oos_models

from esl_helpers import REGION, activity, call, ecs_instances, expect_error, instances
from esl_helpers3 import running_instances
from esl_helpers4 import (  # noqa: F401  (fixtures)
    PUBLIC_TEMPLATES,
    TPL_MONGODB,
    create_hook,
    create_template,
    execution,
    get_template,
    hook_execution,
    hook_group,
    list_templates,
    oos_arn,
    only_action,
    scale_out,
    start_execution,
    task_executions,
    task_statuses,
)

YAML_MIN = """FormatVersion: OOS-2019-06-01
Description: a template that only reads
Parameters:
  regionId:
    Type: String
    Default: '{{ ACS::RegionId }}'
Tasks:
- Name: describeRegions
  Action: 'ACS::ExecuteAPI'
  Properties:
    Service: ECS
    API: DescribeInstances
    Parameters:
      RegionId: '{{ regionId }}'
"""


def tpl_name(name: str, suffix: str = "") -> str:
    return f"{name}{suffix}"[:120]


# ------------------------------------------------------------------------------------------------
# Templates


def test_public_templates(oos):
    raw = list_templates(oos, created_by="ACS")
    by_name = {t["TemplateName"]: t for t in raw["Templates"]}
    assert set(by_name) == PUBLIC_TEMPLATES
    for t in by_name.values():
        assert (t["ShareType"], t["CreatedBy"], t["TemplateType"], t["TemplateVersion"]) == ("Public", "ACS", "Automation", "v1"), t
        assert t["TemplateFormat"] == "YAML"
    raw = get_template(oos, TPL_MONGODB)
    assert raw["Template"]["TemplateName"] == TPL_MONGODB
    assert raw["Template"]["ShareType"] == "Public"
    content = raw["Content"]
    assert "FormatVersion: OOS-2019-06-01" in content
    for needle in ("dbInstanceId", "modifyMode", "ModifySecurityIps", "CompleteLifecycleActionForAbandon", "${lifecycleActionToken}"):
        assert needle in content, needle
    assert raw["Template"]["Hash"] == hashlib.sha256(content.encode()).hexdigest()
    expect_error(
        oos.get_template, oos_models.GetTemplateRequest(region_id=REGION, template_name="no-such-template-xyz"),
        status=404, code="EntityNotExists.Template",
    )


def test_template_crud(oos, name):
    tn = tpl_name(name)
    raw = create_template(oos, tn, YAML_MIN)
    t = raw["Template"]
    assert (t["TemplateName"], t["TemplateVersion"], t["TemplateFormat"], t["ShareType"]) == (tn, "v1", "YAML", "Private"), raw
    assert t["TemplateId"].startswith("t-"), t
    assert t["Hash"] == hashlib.sha256(YAML_MIN.encode()).hexdigest()
    assert t["Description"] == "a template that only reads"
    got = get_template(oos, tn)
    assert got["Content"] == YAML_MIN
    assert got["Template"]["TemplateId"] == t["TemplateId"]
    assert [x["TemplateName"] for x in list_templates(oos, template_name=tn)["Templates"]] == [tn]
    assert tn not in {x["TemplateName"] for x in list_templates(oos, created_by="ACS")["Templates"]}
    assert tn in {x["TemplateName"] for x in list_templates(oos, share_type="Private")["Templates"]}

    expect_error(
        oos.create_template, oos_models.CreateTemplateRequest(region_id=REGION, template_name=tn, content=YAML_MIN),
        status=400, code="EntityAlreadyExists.Template",
    )
    for reserved in ("ACS-mine", "aliyun-mine", "ALIBABA_mine", "AliCloud-mine"):
        expect_error(
            oos.create_template,
            oos_models.CreateTemplateRequest(region_id=REGION, template_name=reserved, content=YAML_MIN),
            status=400, code="InvalidParameter",
        )
    for bad in (
        "FormatVersion: OOS-2019-06-01\nTasks: [unclosed",
        '{"FormatVersion": "OOS-2019-06-01", "Tasks": []}',
        '{"FormatVersion": "OOS-2019-06-01"}',
        "FormatVersion: 2010-09-09\nTasks:\n- Name: a\n  Action: ACS::Sleep\n",
    ):
        expect_error(
            oos.create_template,
            oos_models.CreateTemplateRequest(region_id=REGION, template_name=tpl_name(name, "-bad"), content=bad),
            status=400, code="InvalidTemplate",
        )

    # Update: a new version, now JSON.
    as_json = json.dumps({
        "FormatVersion": "OOS-2019-06-01",
        "Description": "now JSON",
        "Tasks": [{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}],
    })
    raw = call(oos.update_template, oos_models.UpdateTemplateRequest(region_id=REGION, template_name=tn, content=as_json))
    assert (raw["Template"]["TemplateVersion"], raw["Template"]["TemplateFormat"]) == ("v2", "JSON"), raw
    got = get_template(oos, tn)
    assert (got["Content"], got["Template"]["TemplateVersion"]) == (as_json, "v2")

    call(oos.delete_template, oos_models.DeleteTemplateRequest(region_id=REGION, template_name=tn))
    expect_error(
        oos.get_template, oos_models.GetTemplateRequest(region_id=REGION, template_name=tn),
        status=404, code="EntityNotExists.Template",
    )
    expect_error(
        oos.start_execution, oos_models.StartExecutionRequest(region_id=REGION, template_name=tn),
        status=404, code="EntityNotExists.Template",
    )
    expect_error(
        oos.delete_template, oos_models.DeleteTemplateRequest(region_id=REGION, template_name=tn),
        status=404, code="EntityNotExists.Template",
    )


# ------------------------------------------------------------------------------------------------
# Executions


def test_json_template_execution_and_task_executions(clients, oos, advance, net, name):
    c = clients
    [iid] = running_instances(c, advance, net, 1, name=name)
    ip = ecs_instances(c, [iid])[0]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
    content = json.dumps({
        "FormatVersion": "OOS-2019-06-01",
        "Description": {"en": "reads IPs", "name-en": "x"},
        "Parameters": {
            "instanceIds": {"Type": "List"},
            "mode": {"Type": "String", "AllowedValues": ["Read", "Write"], "Default": "Read"},
        },
        "Tasks": [
            {
                "Name": "getIps",
                "Action": "ACS::ExecuteApi",
                "Properties": {
                    "Service": "ECS",
                    "API": "DescribeInstances",
                    "Parameters": {"RegionId": "{{ ACS::RegionId }}", "InstanceIds": "{{ instanceIds }}"},
                },
                "Outputs": {
                    "ips": {"Type": "List", "ValueSelector": ".Instances.Instance[].VpcAttributes.PrivateIpAddress.IpAddress[]"},
                },
            },
            {
                "Name": "onlyWhenWriting",
                "Action": "ACS::ExecuteAPI",
                "When": {"Fn::Equals": ["Write", "{{ mode }}"]},
                "Properties": {"Service": "ECS", "API": "StopInstance", "Parameters": {"InstanceId": "{{ instanceIds }}"}},
            },
            {
                "Name": "joinIps",
                "Action": "ACS::ExecuteAPI",
                "Properties": {
                    "Service": "ECS",
                    "API": "DescribeInstances",
                    "Parameters": {"RegionId": "{{ ACS::RegionId }}", "InstanceIds": "{{ instanceIds }}"},
                },
                "Outputs": {"count": {"Type": "Number", "ValueSelector": ".TotalCount"}},
            },
        ],
        "Outputs": {"ips": {"Type": "List", "Value": "{{ getIps.ips }}"}},
    })
    tn = tpl_name(name)
    assert create_template(oos, tn, content)["Template"]["TemplateFormat"] == "JSON"
    # A parameter without a default is required; AllowedValues are enforced.
    expect_error(oos.start_execution, oos_models.StartExecutionRequest(region_id=REGION, template_name=tn), status=400, code="InvalidParameter")
    expect_error(
        oos.start_execution,
        oos_models.StartExecutionRequest(region_id=REGION, template_name=tn, parameters=json.dumps({"instanceIds": [iid], "mode": "Erase"})),
        status=400, code="InvalidParameter",
    )
    ex = start_execution(oos, tn, {"instanceIds": [iid]})
    assert (ex["TemplateName"], ex["Status"], ex["TemplateVersion"]) == (tn, "Running", "v1"), ex
    assert json.loads(ex["Parameters"])["instanceIds"] == [iid]  # a JSON string in StartExecution
    assert task_executions(oos, ex["ExecutionId"]) == []
    advance(1)
    x = execution(oos, ex["ExecutionId"])
    assert x["Status"] == "Success", x
    assert x["Parameters"] == {"instanceIds": [iid], "mode": "Read"}  # an object in ListExecutions
    assert json.loads(x["Outputs"]) == {"ips": [ip]}
    tasks = task_executions(oos, ex["ExecutionId"])
    assert [(t["TaskName"], t["TaskAction"], t["Status"]) for t in tasks] == [
        ("getIps", "ACS::ExecuteApi", "Success"),
        ("onlyWhenWriting", "ACS::ExecuteAPI", "Skipped"),
        ("joinIps", "ACS::ExecuteAPI", "Success"),
    ]
    assert all(t["ExecutionId"] == ex["ExecutionId"] for t in tasks)
    assert json.loads(tasks[0]["Outputs"]) == {"ips": [ip]}
    assert json.loads(tasks[2]["Outputs"]) == {"count": 1}
    skipped = task_executions(oos, ex["ExecutionId"], status="Skipped")
    assert [t["TaskName"] for t in skipped] == ["onlyWhenWriting"]
    # The instance was not touched by the skipped task.
    assert ecs_instances(c, [iid])[0]["Status"] == "Running"


def test_waiting_execution_can_be_cancelled(oos, advance, name):
    content = """FormatVersion: OOS-2019-06-01
Tasks:
- Name: nap
  Action: ACS::Sleep
  Properties:
    Duration: PT1H
- Name: after
  Action: ACS::ExecuteAPI
  Properties:
    Service: ECS
    API: DescribeInstances
    Parameters: {}
"""
    tn = tpl_name(name)
    create_template(oos, tn, content)
    ex = start_execution(oos, tn)
    advance(1)
    x = execution(oos, ex["ExecutionId"])
    assert x["Status"] in ("Running", "Waiting"), x
    assert task_executions(oos, ex["ExecutionId"]) == []
    call(oos.cancel_execution, oos_models.CancelExecutionRequest(region_id=REGION, execution_id=ex["ExecutionId"]))
    assert execution(oos, ex["ExecutionId"])["Status"] == "Cancelled"
    advance(3600)
    assert execution(oos, ex["ExecutionId"])["Status"] == "Cancelled"
    assert [t["TaskName"] for t in task_executions(oos, ex["ExecutionId"])] == []
    # An execution that slept through to its end.
    ex2 = start_execution(oos, tn)
    advance(1)
    advance(3600)
    x = execution(oos, ex2["ExecutionId"])
    assert x["Status"] == "Success", x
    assert task_statuses(oos, ex2["ExecutionId"]) == [("nap", "Success"), ("after", "Success")]
    expect_error(
        oos.cancel_execution, oos_models.CancelExecutionRequest(region_id=REGION, execution_id="exec-doesnotexist"),
        status=404, code="EntityNotExists.Execution",
    )


# ------------------------------------------------------------------------------------------------
# User-written templates as hook targets

HOOK_YAML = """FormatVersion: OOS-2019-06-01
Description: checks the group, then lets the instances in
Parameters:
  regionId:
    Type: String
    Default: '${regionId}'
  instanceIds:
    Type: List
    Default: ['${instanceIds}']
  lifecycleHookId:
    Type: String
    Default: '${lifecycleHookId}'
  lifecycleActionToken:
    Type: String
    Default: '${lifecycleActionToken}'
  scalingGroupId:
    Type: String
    Default: '${scalingGroupId}'
  note:
    Type: String
Tasks:
- Name: listMembers
  Action: 'ACS::ExecuteAPI'
  Properties:
    Service: ESS
    API: DescribeScalingInstances
    Parameters:
      RegionId: '{{ regionId }}'
      ScalingGroupId: '{{ scalingGroupId }}'
  Outputs:
    count:
      Type: Number
      ValueSelector: .TotalCount
- Name: letThemIn
  Action: 'ACS::ExecuteAPI'
  Properties:
    Service: ESS
    API: CompleteLifecycleAction
    Parameters:
      RegionId: '{{ regionId }}'
      LifecycleHookId: '{{ lifecycleHookId }}'
      LifecycleActionToken: '{{ lifecycleActionToken }}'
      LifecycleActionResult: CONTINUE
"""

FAILING_YAML = """FormatVersion: OOS-2019-06-01
Parameters:
  regionId: {Type: String, Default: '${regionId}'}
  lifecycleHookId: {Type: String, Default: '${lifecycleHookId}'}
  lifecycleActionToken: {Type: String, Default: '${lifecycleActionToken}'}
  dbInstanceId: {Type: String}
Tasks:
- Name: addToRds
  Action: 'ACS::ExecuteAPI'
  OnError: giveUp
  OnSuccess: 'ACS::END'
  Properties:
    Service: RDS
    API: ModifySecurityIps
    Parameters:
      RegionId: '{{ regionId }}'
      DBInstanceId: '{{ dbInstanceId }}'
      SecurityIps: 10.9.9.9
      ModifyMode: Append
- Name: giveUp
  Action: 'ACS::ExecuteAPI'
  Properties:
    Service: ESS
    API: CompleteLifecycleAction
    Parameters:
      RegionId: '{{ regionId }}'
      LifecycleHookId: '{{ lifecycleHookId }}'
      LifecycleActionToken: '{{ lifecycleActionToken }}'
      LifecycleActionResult: ABANDON
"""


def test_user_yaml_template_as_hook_target(clients, oos, server, advance, net, name):
    c = clients
    tn = tpl_name(name)
    assert create_template(oos, tn, HOOK_YAML)["Template"]["TemplateFormat"] == "YAML"
    asg = hook_group(c, net, name)
    meta = json.dumps({"note": "group ${scalingGroupId} in ${regionId}"})
    h = create_hook(c, asg, "SCALE_OUT", notification_arn=oos_arn(server, tn), notification_metadata=meta)
    act = scale_out(c, asg, 2)
    ids = sorted(i["InstanceId"] for i in instances(c, asg))
    token = only_action(c, act)["LifecycleActionToken"]
    ex = hook_execution(oos, h, token)
    p = ex["Parameters"]
    assert sorted(p["instanceIds"]) == ids
    assert (p["scalingGroupId"], p["regionId"], p["lifecycleHookId"], p["lifecycleActionToken"]) == (asg, REGION, h, token)
    assert p["note"] == f"group {asg} in {REGION}"
    advance(1)
    ex = hook_execution(oos, h, token)
    assert ex["Status"] == "Success", ex
    tasks = task_executions(oos, ex["ExecutionId"])
    assert [(t["TaskName"], t["Status"]) for t in tasks] == [("listMembers", "Success"), ("letThemIn", "Success")]
    assert json.loads(tasks[0]["Outputs"]) == {"count": 2}
    assert {i["LifecycleState"] for i in instances(c, asg)} == {"InService"}
    assert activity(c, act)["StatusCode"] == "Successful"


def test_failing_user_template_abandons(clients, oos, server, advance, net, name):
    c = clients
    tn = tpl_name(name)
    create_template(oos, tn, FAILING_YAML)
    asg = hook_group(c, net, name)
    h = create_hook(
        c, asg, "SCALE_OUT", default_result="CONTINUE", notification_arn=oos_arn(server, tn),
        notification_metadata=json.dumps({"dbInstanceId": "rm-doesnotexist"}),
    )
    act = scale_out(c, asg, 1)
    [iid] = [i["InstanceId"] for i in instances(c, asg)]
    token = only_action(c, act)["LifecycleActionToken"]
    advance(1)
    ex = hook_execution(oos, h, token)
    assert ex["Status"] == "Failed", ex
    assert ex["StatusMessage"], ex
    tasks = task_executions(oos, ex["ExecutionId"])
    assert [(t["TaskName"], t["Status"]) for t in tasks] == [("addToRds", "Failed"), ("giveUp", "Success")]
    assert "InvalidDBInstanceId.NotFound" in tasks[0]["StatusMessage"], tasks[0]
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Completed", "ABANDON")
    assert instances(c, asg) == []
    advance(60)
    assert ecs_instances(c, [iid]) == []
    assert activity(c, act)["StatusCode"] == "Failed"


def test_template_without_on_error_leaves_the_wait_to_the_timeout(clients, oos, server, advance, net, name):
    """A failed execution that never completes the action: the heartbeat timeout applies the
    DefaultResult (here CONTINUE)."""
    c = clients
    tn = tpl_name(name)
    create_template(oos, tn, FAILING_YAML.replace("  OnError: giveUp\n", ""))
    asg = hook_group(c, net, name)
    h = create_hook(
        c, asg, "SCALE_OUT", default_result="CONTINUE", heartbeat_timeout=30, notification_arn=oos_arn(server, tn),
        notification_metadata=json.dumps({"dbInstanceId": "rm-doesnotexist"}),
    )
    act = scale_out(c, asg, 1)
    token = only_action(c, act)["LifecycleActionToken"]
    advance(1)
    ex = hook_execution(oos, h, token)
    assert ex["Status"] == "Failed", ex
    assert task_statuses(oos, ex["ExecutionId"]) == [("addToRds", "Failed")]
    assert {i["LifecycleState"] for i in instances(c, asg)} == {"Pending:Wait"}
    advance(29)
    action = only_action(c, act)
    assert (action["LifecycleActionStatus"], action["LifecycleActionResult"]) == ("Timeout", "CONTINUE")
    assert {i["LifecycleState"] for i in instances(c, asg)} == {"InService"}
