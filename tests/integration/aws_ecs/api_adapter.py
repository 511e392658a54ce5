"""Test-only adapter: AWS API requests built from plan resources (wire names -> API shapes).

Each function takes a plan resource's properties with references already resolved to
concrete values and returns the keyword arguments of the matching boto3 call.
"""

from __future__ import annotations

import json
from typing import Any


def _tags(properties: dict[str, Any], key: str = "Key", value: str = "Value") -> list[Any]:
    return [{key: k, value: v} for k, v in sorted(properties.get("tags", {}).items())]


def create_target_group(p: dict[str, Any]) -> dict[str, Any]:
    hc = p["healthCheck"]
    return {
        "Name": p["name"],
        "Protocol": p["protocol"],
        "Port": p["port"],
        "VpcId": p["vpcId"],
        "TargetType": p["targetType"],
        "HealthCheckEnabled": hc["enabled"],
        "HealthCheckProtocol": hc["protocol"],
        "HealthCheckPath": hc["path"],
        "HealthCheckIntervalSeconds": hc["interval"],
        "HealthCheckTimeoutSeconds": hc["timeout"],
        "HealthyThresholdCount": hc["healthyThreshold"],
        "UnhealthyThresholdCount": hc["unhealthyThreshold"],
        "Matcher": {"HttpCode": hc["matcher"]},
        "Tags": _tags(p),
    }


def _action(action: dict[str, Any]) -> dict[str, Any]:
    if action["type"] == "forward" and "forward" in action:
        forward = action["forward"]
        config: dict[str, Any] = {
            "TargetGroups": [
                {"TargetGroupArn": g["arn"], "Weight": g["weight"]} for g in forward["targetGroups"]
            ]
        }
        if "stickiness" in forward:
            config["TargetGroupStickinessConfig"] = {
                "Enabled": forward["stickiness"]["enabled"],
                "DurationSeconds": forward["stickiness"]["duration"],
            }
        return {"Type": "forward", "ForwardConfig": config}
    if action["type"] == "forward":
        return {"Type": "forward", "TargetGroupArn": action["targetGroupArn"]}
    if action["type"] == "redirect":
        r = action["redirect"]
        return {
            "Type": "redirect",
            "RedirectConfig": {
                "Port": r["port"],
                "Protocol": r["protocol"],
                "StatusCode": r["statusCode"],
            },
        }
    f = action["fixedResponse"]
    return {
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "ContentType": f["contentType"],
            "MessageBody": f["messageBody"],
            "StatusCode": f["statusCode"],
        },
    }


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    if "hostHeader" in condition:
        return {
            "Field": "host-header",
            "HostHeaderConfig": {"Values": condition["hostHeader"]["values"]},
        }
    if "pathPattern" in condition:
        return {
            "Field": "path-pattern",
            "PathPatternConfig": {"Values": condition["pathPattern"]["values"]},
        }
    header = condition["httpHeader"]
    return {
        "Field": "http-header",
        "HttpHeaderConfig": {
            "HttpHeaderName": header["httpHeaderName"],
            "Values": header["values"],
        },
    }


def create_rule(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "ListenerArn": p["listenerArn"],
        "Priority": p["priority"],
        "Conditions": [_condition(c) for c in p["conditions"]],
        "Actions": [_action(a) for a in p["actions"]],
        "Tags": _tags(p),
    }


def create_listener(p: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "LoadBalancerArn": p["loadBalancerArn"],
        "Protocol": p["protocol"],
        "Port": p["port"],
        "DefaultActions": [_action(a) for a in p["defaultActions"]],
        "Tags": _tags(p),
    }
    if "certificateArn" in p:
        request["Certificates"] = [{"CertificateArn": p["certificateArn"]}]
        request["SslPolicy"] = p["sslPolicy"]
    return request


def register_task_definition(p: dict[str, Any]) -> dict[str, Any]:
    containers = json.loads(p["containerDefinitions"])
    return {
        "family": p["family"],
        "cpu": p["cpu"],
        "memory": p["memory"],
        "networkMode": p["networkMode"],
        "requiresCompatibilities": p["requiresCompatibilities"],
        "executionRoleArn": p["executionRoleArn"],
        "containerDefinitions": containers,
        "tags": _tags(p, "key", "value"),
    }


def create_service(p: dict[str, Any]) -> dict[str, Any]:
    net = p["networkConfiguration"]
    return {
        "serviceName": p["name"],
        "cluster": p["cluster"],
        "taskDefinition": p["taskDefinition"],
        "desiredCount": p["desiredCount"],
        "launchType": p["launchType"],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": net["subnets"],
                "securityGroups": net["securityGroups"],
                "assignPublicIp": "ENABLED" if net["assignPublicIp"] else "DISABLED",
            }
        },
        "loadBalancers": [
            {
                "targetGroupArn": lb["targetGroupArn"],
                "containerName": lb["containerName"],
                "containerPort": lb["containerPort"],
            }
            for lb in p["loadBalancers"]
        ],
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {
                "enable": p["deploymentCircuitBreaker"]["enable"],
                "rollback": p["deploymentCircuitBreaker"]["rollback"],
            }
        },
        "healthCheckGracePeriodSeconds": p["healthCheckGracePeriodSeconds"],
        "propagateTags": p["propagateTags"],
        "enableECSManagedTags": p["enableEcsManagedTags"],
        "tags": _tags(p, "key", "value"),
    }


def create_security_group(p: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "GroupName": name,
        "Description": p["description"],
        "VpcId": p["vpcId"],
        "TagSpecifications": [{"ResourceType": "security-group", "Tags": _tags(p)}],
    }


def authorize_ingress(p: dict[str, Any]) -> dict[str, Any]:
    permission: dict[str, Any] = {
        "IpProtocol": p["ipProtocol"],
        "FromPort": p["fromPort"],
        "ToPort": p["toPort"],
    }
    if "cidrIpv4" in p:
        permission["IpRanges"] = [{"CidrIp": p["cidrIpv4"], "Description": p["description"]}]
    else:
        permission["UserIdGroupPairs"] = [
            {"GroupId": p["referencedSecurityGroupId"], "Description": p["description"]}
        ]
    return {"GroupId": p["securityGroupId"], "IpPermissions": [permission]}
