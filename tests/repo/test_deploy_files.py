"""s.yaml, events/ and deploy/ram-policy.json: valid, consistent with the contract, no secret.

Each check is a function returning a list of problems, run on the real file and on a broken
copy, so every check is shown to be able to fail.
"""
import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def documented_settings() -> list[str]:
    """The setting names of docs/settings.md's table ("All settings"): the contract users read."""
    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    section = page.split("\n## All settings\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z_]+)` \|", section, re.M)


# devsapp/fc3's props schema, vendored with its origin (tests/data/README.md).
SCHEMA = json.loads((REPO / "tests" / "data" / "fc3-props.schema.json").read_text())
SETTINGS = documented_settings()
RAW = yaml.safe_load((REPO / "s.yaml").read_text())

EXPR = re.compile(r"\$\{([^}]*)\}")
ENV = re.compile(r"""^env\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*(?:,\s*'([^']*)'\s*)?\)$""")
DUMMIES = {"FC_ROLE_ARN": "acs:ram::123456789:role/redis-backup-report",
           "INSTANCE_TAGS": "backup-report=daily"}
SECRET_WORDS = ("WEBHOOK", "SECRET", "TOKEN", "KEY", "MOBILES")
INSTANCE = r"acs:kvstore:[^:]+:[^:]+:instance/[^:]+"
# Each action the function calls (cloud/kvstore.py), by its RAM name as its API reference gives it,
# and the resources it may be granted on. DescribeRegions has no resource-level
# permission (its API page lists "All Resources"); logs go to the Logstore of `logConfig: auto`.
RESOURCES = {
    "kvstore:DescribeInstances": (INSTANCE,),
    "kvstore:DescribeBackups": (INSTANCE,),
    "kvstore:DescribeBackupPolicy": (INSTANCE,),
    "kvstore:DescribeClusterBackupList": (INSTANCE,),
    "kvstore:DescribeBackupTasks": (INSTANCE,),
    # Granted on all resources only, as its reference says (https://help.aliyun.com/document_detail/473786.html).
    "kvstore:DescribeLogicInstanceTopology": (r"\*",),
    "kvstore:DescribeRegions": (r"\*",),
    "log:PostLogStoreLogs": (r"acs:log:[^:]+:[^:]+:project/serverless-\*/logstore/default-logs",),
    # The archive (ARCHIVE_OSS_BUCKET): objects under the default prefix only, in any bucket the deployer
    # names (https://www.alibabacloud.com/help/en/oss/user-guide/authorization-syntax-and-elements).
    "oss:PutObject": (r"acs:oss:\*:\*:[a-z0-9*-]+/redis-backup-report/\*",),
    "oss:GetObject": (r"acs:oss:\*:\*:[a-z0-9*-]+/redis-backup-report/\*",),
    # ListObjects is a bucket-level action: its resource is the bucket, narrowed by the oss:Prefix condition.
    "oss:ListObjects": (r"acs:oss:\*:\*:[a-z0-9*-]+",),
}
PREFIX_CONDITION = {"StringLike": {"oss:Prefix": "redis-backup-report/*"}}
POLICY_ACTIONS = set(RESOURCES)


def resolve(node, variables):
    """Replace every ${...} the way Serverless Devs would, with defaults or plausible dummies."""
    if isinstance(node, dict):
        return {k: resolve(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, variables) for v in node]
    if not isinstance(node, str):
        return node

    def one(m):
        expr = m.group(1).strip()
        env = ENV.match(expr)
        if env:
            name, default = env.groups()
            return default if default is not None else DUMMIES.get(name, "dummy")
        if expr.startswith("vars."):
            return str(variables[expr[5:]])
        raise AssertionError(f"unexpected expression ${{{expr}}}")

    return EXPR.sub(one, node)


def resolved(doc):
    variables = resolve(doc.get("vars") or {}, {})
    return resolve(doc, variables)


def schema_problems(doc):
    validator = jsonschema.Draft7Validator(SCHEMA)
    # triggerConfig is an anyOf of every trigger type, loose enough to accept a broken timer
    # config; so a timer trigger's config is checked against ITimerTriggerConfig as well.
    timer = jsonschema.Draft7Validator({**SCHEMA["definitions"]["ITimerTriggerConfig"],
                                        "definitions": SCHEMA["definitions"]})
    out = []
    for name, res in resolved(doc)["resources"].items():
        out += [f"{name}: {e.message}" for e in validator.iter_errors(res["props"])]
        for t in res["props"].get("triggers") or []:
            if t.get("triggerType") == "timer":
                out += [f"{name}/{t.get('triggerName')}: {e.message}"
                        for e in timer.iter_errors(t.get("triggerConfig"))]
    return out


def props_problems(doc):
    """Contract-level facts about the function resource (on the unresolved file)."""
    out = []
    (name, res), = doc["resources"].items()
    p = res["props"]
    if res.get("component") != "fc3":
        out.append("component is not fc3")
    if p.get("runtime") != "python3.10":
        out.append("runtime is not python3.10")
    if p.get("handler") != "index.handler":
        out.append("handler is not index.handler")
    if not re.fullmatch(r"\$\{env\('[A-Z_]+'\)\}", str(p.get("role"))):
        out.append("role is not taken from the environment")
    if p.get("logConfig") != "auto":
        out.append("logConfig is not auto")
    envs = p.get("environmentVariables") or {}
    if sorted(envs) != sorted(SETTINGS):
        out.append(f"environmentVariables {sorted(envs)} != contract settings {sorted(SETTINGS)}")
    for key, value in envs.items():
        if any(w in key for w in SECRET_WORDS):
            m = ENV.match(EXPR.fullmatch(str(value)).group(1)) if EXPR.fullmatch(str(value)) else None
            if not m or m.group(2):  # must be env('NAME') or env('NAME', '')
                out.append(f"{key} is inline or has a non-empty default: {value!r}")
    timers = [t for t in p.get("triggers") or [] if t.get("triggerType") == "timer"]
    if not timers:
        out.append("no timer trigger")
    for t in timers:
        problem = payload_problem(t.get("triggerConfig", {}).get("payload"))
        if problem:
            out.append(f"trigger {t.get('triggerName')}: {problem}")
    aic = p.get("asyncInvokeConfig")
    if not isinstance(aic, dict) or "maxAsyncRetryAttempts" not in aic:
        out.append("asyncInvokeConfig with maxAsyncRetryAttempts missing")
    return out


def payload_problem(payload):
    if not isinstance(payload, str):
        return f"payload is not a string: {payload!r}"
    try:
        obj = json.loads(payload)
    except ValueError as exc:
        return f"payload is not JSON: {exc}"
    if not isinstance(obj, dict):
        return "payload is not a JSON object"
    unknown = set(obj) - {s.lower() for s in SETTINGS}
    return f"payload keys not in the contract: {sorted(unknown)}" if unknown else None


def event_problems(event):
    out = []
    if not isinstance(event, dict):
        return ["event is not a JSON object"]
    if "triggerTime" in event or "payload" in event:
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(event.get("triggerTime"))):
            out.append(f"triggerTime not yyyy-MM-ddTHH:mm:ssZ: {event.get('triggerTime')!r}")
        if not isinstance(event.get("triggerName"), str):
            out.append("triggerName missing")
        problem = payload_problem(event.get("payload"))
        if problem:
            out.append(problem)
    return out


def policy_problems(policy):
    out = []
    if policy.get("Version") != "1":
        out.append("Version is not '1'")
    granted = set()
    for st in policy.get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action")
        actions = {actions} if isinstance(actions, str) else set(actions)
        granted |= actions
        if "oss:ListObjects" in actions and st.get("Condition") != PREFIX_CONDITION:
            out.append(f"oss:ListObjects is granted without the condition {PREFIX_CONDITION}")
        resources = st.get("Resource")
        for r in [resources] if isinstance(resources, str) else resources:
            for action in actions:
                if not any(re.fullmatch(pattern, r) for pattern in RESOURCES.get(action, ())):
                    out.append(f"{action} is granted on {r!r}, wider than it needs")
    if granted != POLICY_ACTIONS:
        out.append(f"actions {sorted(granted)} != {sorted(POLICY_ACTIONS)}")
    return out


# --- s.yaml -----------------------------------------------------------------------------------

def test_contract_settings_found():
    assert "INSTANCE_TAGS" in SETTINGS and "SLACK_WEBHOOK" in SETTINGS, SETTINGS


def test_the_docs_settings_table_lists_exactly_the_settings_the_function_reads():
    from backup_report.settings import NAMES

    assert sorted(SETTINGS) == sorted(NAMES)


def test_syaml_header():
    assert RAW["edition"] == "3.0.0" and RAW["name"] == "redis-backup-report"
    assert len(RAW["resources"]) == 1


def test_syaml_props_validate_against_fc3_schema():
    assert schema_problems(RAW) == []


def test_schema_check_can_fail():
    bad = copy.deepcopy(RAW)
    props = next(iter(bad["resources"].values()))["props"]
    props["memorySize"] = 300                       # not a multiple of 64
    props["triggers"][0]["triggerConfig"]["enable"] = "yes"
    props["environmentVariables"]["LOOKBACK_HOURS"] = 24
    bad["vars"]["region"] = "mars-north-1"
    assert len(schema_problems(bad)) >= 4


def test_syaml_props_follow_the_contract():
    assert props_problems(RAW) == []


@pytest.mark.parametrize("mutate", [
    lambda p: p["environmentVariables"].update(SLACK_WEBHOOK="https://hooks.example/T0/B0/x"),
    lambda p: p["environmentVariables"].update(DINGTALK_SECRET="${env('DINGTALK_SECRET', 'SEC1')}"),
    lambda p: p.update(role="acs:ram::123456789:role/redis-backup-report"),
    lambda p: p.update(runtime="python3.9"),
    lambda p: p.update(logConfig={"project": "p", "logstore": "l"}),
    lambda p: p["environmentVariables"].pop("TIMEZONE"),
    lambda p: p["triggers"][0]["triggerConfig"].update(payload="team=b"),
    lambda p: p["triggers"][0]["triggerConfig"].update(payload='{"team": "b"}'),
    lambda p: p.pop("asyncInvokeConfig"),
])
def test_props_check_can_fail(mutate):
    bad = copy.deepcopy(RAW)
    mutate(next(iter(bad["resources"].values()))["props"])
    assert props_problems(bad)


def test_no_secret_shaped_text_in_syaml():
    text = (REPO / "s.yaml").read_text()
    for pattern in (r"access_token=\w", r"hooks\.slack\.com/services/\w", r"\bSEC[0-9a-f]{16,}",
                    r"\bLTAI\w{8,}", r"AccessKey(Id|Secret)\s*:"):
        assert not re.search(pattern, text), pattern


# --- events/ ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["timer.json", "timer-payload.json", "manual.json"])
def test_event_files(name):
    event = json.loads((REPO / "events" / name).read_text())
    assert event_problems(event) == []
    if name.startswith("timer"):
        assert "triggerTime" in event and "payload" in event


def test_payload_event_overrides_something():
    event = json.loads((REPO / "events" / "timer-payload.json").read_text())
    assert json.loads(event["payload"]).get("instance_tags")


@pytest.mark.parametrize("bad", [
    {"triggerTime": "2026-11-28 01:00:00", "triggerName": "daily", "payload": "{}"},
    {"triggerTime": "2026-11-28T01:00:00Z", "triggerName": "daily", "payload": {}},
    {"triggerTime": "2026-11-28T01:00:00Z", "triggerName": "daily", "payload": '{"INSTANCE_TAGS": "a"}'},
    [],
])
def test_event_check_can_fail(bad):
    assert event_problems(bad)


# --- deploy/ram-policy.json -------------------------------------------------------------------

def test_ram_policy_is_least_privilege():
    policy = json.loads((REPO / "deploy" / "ram-policy.json").read_text())
    assert policy_problems(policy) == []


@pytest.mark.parametrize("statement, extra", [(0, "kvstore:*"), (0, "kvstore:Describe*"),
                                              (0, "kvstore:ModifyBackupPolicy"), (0, "*"),
                                              (1, "kvstore:DescribeBackups"), (2, "kvstore:DescribeBackups"), (3, "log:*")])
def test_policy_check_can_fail(statement, extra):
    policy = json.loads((REPO / "deploy" / "ram-policy.json").read_text())
    policy["Statement"][statement]["Action"].append(extra)
    assert policy_problems(policy)


def test_policy_check_refuses_logs_granted_on_every_project():
    policy = json.loads((REPO / "deploy" / "ram-policy.json").read_text())
    policy["Statement"][3]["Resource"] = "*"
    assert policy_problems(policy) == ["log:PostLogStoreLogs is granted on '*', wider than it needs"]


# --- deploy/: the many-account roles (ACCOUNTS) ---------------------------------------------------

def _kvstore_actions(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            if a.startswith("kvstore:")}


def test_the_member_role_may_read_what_the_function_reads_and_nothing_else():
    own = json.loads((REPO / "deploy" / "ram-policy.json").read_text())
    member = json.loads((REPO / "deploy" / "member-ram-policy.json").read_text())
    assert _kvstore_actions(member) == _kvstore_actions(own)
    assert {a for s in member["Statement"] for a in s["Action"]} == _kvstore_actions(own)  # no log, no OSS
    template = yaml.safe_load((REPO / "deploy" / "member-role.ros.yaml").read_text())
    role = template["Resources"]["ReaderRole"]["Properties"]
    assert role["Policies"][0]["PolicyDocument"] == member
    assert template["Parameters"]["RoleName"]["Default"] == "redis-backup-reader"


def test_the_member_role_trusts_the_reporters_role_alone():
    trust = json.loads((REPO / "deploy" / "member-trust-policy.json").read_text())
    template = yaml.safe_load((REPO / "deploy" / "member-role.ros.yaml").read_text())
    for statement in (trust["Statement"][0],
                      template["Resources"]["ReaderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]):
        assert statement["Action"] == "sts:AssumeRole" and list(statement["Principal"]) == ["RAM"]
        assert not any(":root" in str(p) for p in statement["Principal"]["RAM"])
    assert trust["Statement"][0]["Principal"]["RAM"] == ["acs:ram::<REPORTER_ACCOUNT_ID>:role/redis-backup-report"]


def test_the_reporter_gains_exactly_assume_role_on_the_member_role_and_the_directory_listing():
    policy = json.loads((REPO / "deploy" / "accounts-policy.json").read_text())
    assert [(s["Action"], s["Resource"]) for s in policy["Statement"]] == [
        ("sts:AssumeRole", "acs:ram::*:role/redis-backup-reader"), (["resourcemanager:ListAccounts", "resourcemanager:GetResourceDirectory"], "*"),
        # the pieces: the function invoking itself, and collect asking what became of a piece (FC 3.0's ARN of a
        # function, acs:fc:<region>:<account>:functions/<name>)
        (["fc:InvokeFunction", "fc:GetAsyncTask"], "acs:fc:*:*:functions/redis-backup-report")]


def test_syaml_runs_pieces_as_the_manifest_counts_their_attempts_and_has_the_collect_trigger():
    from backup_report.fanout import COLLECT_TRIGGER
    from backup_report.fanout.manifest import ATTEMPTS

    props = yaml.safe_load((REPO / "s.yaml").read_text())["resources"]["backup-report"]["props"]
    assert props["asyncInvokeConfig"]["asyncTask"] is True
    assert ATTEMPTS == 1 + props["asyncInvokeConfig"]["maxAsyncRetryAttempts"]
    assert COLLECT_TRIGGER in [t["triggerName"] for t in props["triggers"] if t["triggerType"] == "timer"]
    assert props["concurrencyConfig"]["reservedConcurrency"] >= 2


# --- deploy/restore-test-ram-policy.json: RESTORE_TEST's extra actions ----------------------------------------

def test_the_restore_test_policy_grants_the_calls_of_a_restore_test_and_never_restore_instance():
    policy = json.loads((REPO / "deploy" / "restore-test-ram-policy.json").read_text())
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    assert policy["Version"] == "1" and all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert granted == {"kvstore:DescribeInstanceAttribute", "kvstore:DescribeHistoryMonitorValues",
                       "kvstore:CreateInstance", "kvstore:CreateTairInstance", "kvstore:DeleteInstance",
                       "kvstore:DescribePrice"}
    assert not any("*" in a or a == "kvstore:RestoreInstance" for a in granted)
    # Each action the cloud edge calls for a restore test is granted here or in the role's own policy.
    from backup_report.cloud import pacing
    own = _kvstore_actions(json.loads((REPO / "deploy" / "ram-policy.json").read_text()))
    source = (REPO / "function" / "backup_report" / "cloud" / "restore.py").read_text()
    called = {a for a in pacing.ACTIONS if f'"{a}"' in source}
    assert {f"kvstore:{a}" for a in called} <= granted | own
