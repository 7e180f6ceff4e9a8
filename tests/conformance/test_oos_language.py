"""The OOS template language through real executions (alibabacloud_oos20190601, user templates).

Contract (db-oos-api.md §3.1): ACS::WaitFor retries its API call until the PropertySelector value is
one of DesiredValues (failing on StopRetryValues or when Retries run out, RetryInterval apart);
ACS::CheckFor checks once; ACS::Template runs a nested template whose Outputs are the task's result;
Loop RateControl {Concurrency, MaxErrors (a count, or a percentage of the items)}; Parameters
AllowedValues / AllowedPattern are checked at StartExecution (400 InvalidParameter, nothing created);
pseudo parameters ACS::ExecutionId, ACS::AccountId, ACS::RegionId; the Fn:: functions."""
from __future__ import annotations

import json

import alibabacloud_oos20190601.models as oos_models

from esl_helpers import REGION, expect_error
from esl_helpers3 import ecs_status, running_instances, stop_instance
from esl_helpers4 import (  # noqa: F401  (fixtures)
    create_template,
    execution,
    executions,
    start_execution,
    task_executions,
    task_statuses,
)


def describe(iid: str) -> dict:
    return {
        "Service": "ECS",
        "API": "DescribeInstances",
        "Parameters": {"RegionId": "{{ ACS::RegionId }}", "InstanceIds": json.dumps([iid])},
    }


def run(oos, advance, name: str, content: dict, parameters: dict | None = None) -> dict:
    create_template(oos, name, json.dumps(content))
    ex = start_execution(oos, name, parameters)
    advance(1)
    return execution(oos, ex["ExecutionId"])


def test_wait_for_retries_until_desired(clients, oos, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)
    content = {
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [
            {"Name": "stop", "Action": "ACS::ExecuteAPI",
             "Properties": {"Service": "ECS", "API": "StopInstance", "Parameters": {"InstanceId": iid}}},
            {"Name": "waitStopped", "Action": "ACS::WaitFor",
             "Properties": {**describe(iid), "PropertySelector": ".Instances.Instance[0].Status",
                            "DesiredValues": ["Stopped"], "RetryInterval": "PT10S", "Retries": 5},
             "Outputs": {"status": {"Type": "String", "ValueSelector": ".Instances.Instance[0].Status"}}},
        ],
        "Outputs": {"status": {"Type": "String", "Value": "{{ waitStopped.status }}"}},
    }
    x = run(oos, advance, name, content)
    # StopInstance ran; the instance is Stopping, so WaitFor waits RetryInterval
    assert x["Status"] == "Waiting", x
    assert task_statuses(oos, x["ExecutionId"]) == [("stop", "Success")]
    advance(5)
    assert execution(oos, x["ExecutionId"])["Status"] == "Waiting"
    assert ecs_status(c, iid) == "Stopped"
    advance(5)
    x = execution(oos, x["ExecutionId"])
    assert x["Status"] == "Success", x
    assert json.loads(x["Outputs"]) == {"status": "Stopped"}
    assert task_statuses(oos, x["ExecutionId"]) == [("stop", "Success"), ("waitStopped", "Success")]


def test_wait_for_stop_retry_values_and_retries(clients, oos, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)
    stop_values = {
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [{"Name": "w", "Action": "ACS::WaitFor",
                   "Properties": {**describe(iid), "PropertySelector": ".Instances.Instance[0].Status",
                                  "DesiredValues": ["Stopped"], "StopRetryValues": ["Running"]}}],
    }
    x = run(oos, advance, f"{name}-a", stop_values)
    assert x["Status"] == "Failed", x
    assert x["StatusMessage"] == 'Task w failed: the value "Running" stops the retries'
    retries = {
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [{"Name": "w", "Action": "ACS::WaitFor",
                   "Properties": {**describe(iid), "PropertySelector": ".Instances.Instance[0].Status",
                                  "DesiredValues": ["Stopped"], "Retries": 3, "RetryInterval": "PT1M"}}],
    }
    x = run(oos, advance, f"{name}-b", retries)
    assert x["Status"] == "Waiting"
    advance(60)
    assert execution(oos, x["ExecutionId"])["Status"] == "Waiting"
    advance(60)
    x = execution(oos, x["ExecutionId"])
    assert x["Status"] == "Failed", x
    assert x["StatusMessage"] == 'Task w failed: the value "Running" did not reach the desired values after 3 attempts'
    assert task_statuses(oos, x["ExecutionId"]) == [("w", "Failed")]


def test_check_for(clients, oos, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)

    def content(desired):
        return {"FormatVersion": "OOS-2019-06-01",
                "Tasks": [{"Name": "check", "Action": "ACS::CheckFor",
                           "Properties": {**describe(iid), "PropertySelector": ".Instances.Instance[0].Status",
                                          "DesiredValues": desired},
                           "Outputs": {"n": {"Type": "Number", "ValueSelector": ".TotalCount"}}}],
                "Outputs": {"n": {"Type": "Number", "Value": "{{ check.n }}"}}}

    x = run(oos, advance, f"{name}-ok", content(["Running"]))
    assert (x["Status"], json.loads(x["Outputs"])) == ("Success", {"n": 1})
    x = run(oos, advance, f"{name}-no", content(["Stopped"]))
    assert x["Status"] == "Failed"
    assert x["StatusMessage"] == 'Task check failed: the value "Running" is not one of the desired values'
    assert task_statuses(oos, x["ExecutionId"]) == [("check", "Failed")]


def test_nested_template(clients, oos, advance, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)
    child = {
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {"instanceId": {"Type": "String"}, "suffix": {"Type": "String", "Default": "!"}},
        "Tasks": [{"Name": "get", "Action": "ACS::ExecuteAPI",
                   "Properties": {"Service": "ECS", "API": "DescribeInstances",
                                  "Parameters": {"RegionId": "{{ ACS::RegionId }}",
                                                 "InstanceIds": {"Fn::Join": ["", ["[\"", "{{ instanceId }}", "\"]"]]}}},
                   "Outputs": {"status": {"Type": "String", "ValueSelector": ".Instances.Instance[0].Status"}}}],
        "Outputs": {"line": {"Type": "String", "Value": {"Fn::Join": ["", ["{{ get.status }}", "{{ suffix }}"]]}}},
    }
    create_template(oos, f"{name}-child", json.dumps(child))
    parent = {
        "FormatVersion": "OOS-2019-06-01",
        "Tasks": [{"Name": "nested", "Action": "ACS::Template",
                   "Properties": {"TemplateName": f"{name}-child", "Parameters": {"instanceId": iid}},
                   "Outputs": {"line": {"Type": "String", "ValueSelector": ".line"}}}],
        "Outputs": {"line": {"Type": "String", "Value": "{{ nested.line }}"}},
    }
    x = run(oos, advance, name, parent)
    assert x["Status"] == "Success", x
    assert json.loads(x["Outputs"]) == {"line": "Running!"}
    tasks = task_executions(oos, x["ExecutionId"])
    assert [(t["TaskName"], t["TaskAction"], t["Status"]) for t in tasks][-1] == ("nested", "ACS::Template", "Success")
    # A nested template that does not exist fails the task
    parent["Tasks"][0]["Properties"]["TemplateName"] = f"{name}-nochild"
    x = run(oos, advance, f"{name}-2", parent)
    assert x["Status"] == "Failed"
    assert x["StatusMessage"] == f"Task nested failed: the template {name}-nochild does not exist"


def test_loop_rate_control_max_errors(clients, oos, advance, net, name):
    c = clients
    a, b = running_instances(c, advance, net, 2, name=name)
    ghost = "i-doesnotexist0000000000"

    def content(max_errors):
        return {
            "FormatVersion": "OOS-2019-06-01",
            "Parameters": {"ids": {"Type": "List"}},
            "Tasks": [{"Name": "start", "Action": "ACS::ExecuteAPI",
                       "Properties": {"Service": "ECS", "API": "StartInstance",
                                      "Parameters": {"InstanceId": "{{ ACS::TaskLoopItem }}"}},
                       "Loop": {"Items": "{{ ids }}",
                                "RateControl": {"Mode": "Concurrency", "Concurrency": 2, "MaxErrors": max_errors},
                                "Outputs": {"requests": {"AggregateType": "Fn::ListJoin", "AggregateField": "rid"}}},
                       "Outputs": {"rid": {"Type": "String", "ValueSelector": ".RequestId"}}}],
            "Outputs": {"n": {"Type": "Number", "Value": {"Fn::Sum": [1, 1]}}},
        }

    # Two stopped instances and two unknown ids: StartInstance fails on the unknown ones
    for iid in (a, b):
        stop_instance(c, iid)
    advance(3)
    ids = [a, ghost, b, ghost]
    cases = [("50%", "Success"), (2, "Success"), ("25%", "Failed"), (1, "Failed"), ("75%", "Success")]
    for i, (max_errors, status) in enumerate(cases):
        x = run(oos, advance, f"{name}-{i}", content(max_errors), {"ids": ids})
        assert x["Status"] == status, (max_errors, x)
        if status == "Failed":
            assert x["StatusMessage"].startswith("Task start failed: 2 of 4 loop items failed; first: "), x
        else:
            assert json.loads(x["Outputs"]) == {"n": 2}
        advance(3)
        stop_instance(c, a)
        stop_instance(c, b)
        advance(3)


def test_parameters_allowed_values_and_pattern(oos, advance, name):
    content = {
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {
            "size": {"Type": "String", "AllowedValues": ["S", "M"], "Default": "S"},
            "code": {"Type": "String", "AllowedPattern": "[a-z]{3}-\\d+"},
        },
        "Tasks": [{"Name": "nap", "Action": "ACS::Sleep", "Properties": {"Duration": "PT1S"}}],
        "Outputs": {"both": {"Type": "String", "Value": {"Fn::Join": ["/", ["{{ size }}", "{{ code }}"]]}}},
    }
    create_template(oos, name, json.dumps(content))
    before = len(executions(oos, template_name=name))
    for params, message in (
        ({"code": "abc-1", "size": "L"}, 'The parameters are invalid: parameter size must be one of ["S","M"]'),
        ({"code": "ABC-1"}, "The parameters are invalid: parameter code does not match [a-z]{3}-\\d+"),
        ({"code": "abc-1x"}, "The parameters are invalid: parameter code does not match [a-z]{3}-\\d+"),
        ({}, "The parameters are invalid: parameter code is required"),
    ):
        expect_error(
            oos.start_execution,
            oos_models.StartExecutionRequest(region_id=REGION, template_name=name, parameters=json.dumps(params)),
            status=400,
            code="InvalidParameter",
            message=message,
        )
    assert len(executions(oos, template_name=name)) == before  # a refused call creates nothing
    ex = start_execution(oos, name, {"code": "xyz-42", "size": "M"})
    advance(1)
    advance(1)
    x = execution(oos, ex["ExecutionId"])
    assert x["Status"] == "Success", x
    assert json.loads(x["Outputs"]) == {"both": "M/xyz-42"}


def test_pseudo_parameters_and_functions(clients, oos, advance, server, net, name):
    c = clients
    (iid,) = running_instances(c, advance, net, 1, name=name)
    content = {
        "FormatVersion": "OOS-2019-06-01",
        "Parameters": {
            "csv": {"Type": "String", "Default": "a,b,c"},
            "flag": {"Type": "Boolean", "Default": True},
        },
        "Tasks": [{"Name": "get", "Action": "ACS::ExecuteAPI", "Properties": describe(iid),
                   "Outputs": {"status": {"Type": "String", "ValueSelector": ".Instances.Instance[0].Status"},
                               "ids": {"Type": "List", "ValueSelector": ".Instances.Instance[].InstanceId"}}}],
        "Outputs": {
            "executionId": {"Type": "String", "Value": "{{ ACS::ExecutionId }}"},
            "accountId": {"Type": "String", "Value": "{{ ACS::AccountId }}"},
            "regionId": {"Type": "String", "Value": "{{ ACS::RegionId }}"},
            "joined": {"Type": "String", "Value": {"Fn::Join": ["-", {"Fn::Split": [",", "{{ csv }}"]}]}},
            "second": {"Type": "String", "Value": {"Fn::Select": [1, {"Fn::Split": [",", "{{ csv }}"]}]}},
            "picked": {"Type": "String", "Value": {"Fn::If": ["{{ flag }}", "yes", "no"]}},
            "notFlag": {"Type": "Boolean", "Value": {"Fn::Not": "{{ flag }}"}},
            "running": {"Type": "Boolean",
                        "Value": {"Fn::And": ["{{ flag }}", {"Fn::Equals": ["{{ get.status }}", "Running"]}]}},
            "either": {"Type": "Boolean", "Value": {"Fn::Or": [False, {"Fn::Equals": ["{{ get.status }}", "Stopped"]}]}},
            "merged": {"Type": "List", "Value": {"Fn::MergeList": ["{{ get.ids }}", ["x", "y"]]}},
            "jqFirst": {"Type": "String", "Value": {"Fn::Jq": ["First", ".[0]", "{{ get.ids }}"]}},
            "jqAll": {"Type": "List", "Value": {"Fn::Jq": ["All", ".[] | .n * 2", [{"n": 1}, {"n": 2}]]}},
        },
    }
    x = run(oos, advance, name, content)
    assert x["Status"] == "Success", x
    assert json.loads(x["Outputs"]) == {
        "executionId": x["ExecutionId"],
        "accountId": server.account_id,
        "regionId": REGION,
        "joined": "a-b-c",
        "second": "b",
        "picked": "yes",
        "notFlag": False,
        "running": True,
        "either": False,
        "merged": [iid, "x", "y"],
        "jqFirst": iid,
        "jqAll": [2, 4],
    }
