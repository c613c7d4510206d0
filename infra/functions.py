"""Every Lambda function, built by one loop over manifest.FUNCTIONS, each with its own least-privilege role."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import manifest, permissions
from infra.config import ConfigError, StackConfig, pascal
from infra.data import Data
from infra.messaging import Messaging
from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
# Graviton (arm64): about 20% cheaper per GB-second than x86_64, and every dependency in the layer
# ships aarch64 wheels, so scripts/build-layer.sh can build it without Docker.
ARCHITECTURE = lambda_.Architecture.ARM_64
# The assets are scripts/build-layer.sh's output as it is: sources plus Python 3.13 bytecode (unchecked-hash),
# which Lambda loads instead of compiling every module again at each cold start.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class Functions(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, data: Data, messaging: Messaging
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._data = data
        self._messaging = messaging
        folders = {"common": config.layer_dir, "page": config.page_layer_dir}
        self.layers = {
            key: lambda_.LayerVersion(
                self,
                f"{pascal(key)}Layer",
                code=lambda_.Code.from_asset(str(folders[key])),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description=f"halotap: {description}",
            )
            for key, description in manifest.LAYERS.items()
        }
        self.functions: dict[str, lambda_.Function] = {}
        self.entries: dict[str, lambda_.IFunction] = {}  # what invokes each: the function, or its alias
        for spec in manifest.FUNCTIONS:
            self.functions[spec.name] = self._function(spec)

    @property
    def layer(self) -> lambda_.LayerVersion:
        """The layer every function gets."""
        return self.layers["common"]

    @property
    def authorizer(self) -> lambda_.IFunction:
        return next(self.entries[s.name] for s in manifest.FUNCTIONS if s.is_authorizer)

    def entry(self, name: str) -> lambda_.IFunction:
        """What API Gateway, a queue or a schedule invokes for function `name`: with SnapStart its alias
        "live" (a snapshot exists only for a published version), without it the function itself."""
        return self.entries[name]

    def _function(self, spec: manifest.Function) -> lambda_.Function:
        name = pascal(spec.name)
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=LOG_RETENTION, removal_policy=self._config.removal_policy
        )
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"halotap {spec.name}: only what infra/manifest.py grants it",
        )
        for statement in permissions.statements(
            spec,
            stack=cdk.Stack.of(self),
            config=self._config,
            tables=self._data.tables,
            queues=self._messaging.queues,
            dead_letter_queues=self._messaging.dead_letter_queues,
            buckets=self._data.buckets,
            keys=self._data.keys,
            log_group=log_group,
        ):
            role.add_to_policy(statement)
        function = lambda_.Function(
            self,
            f"{name}Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(self._config.functions_dir / spec.name)),
            handler="handler.handler",
            layers=[self.layers[key] for key in spec.layers],
            timeout=cdk.Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            environment=self._environment(spec),
            reserved_concurrent_executions=spec.reserved_concurrency
            if self._config.reserved_concurrency
            else None,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if self._config.snap_start else None,
        )
        entry: lambda_.IFunction = function
        if self._config.snap_start:
            entry = lambda_.Alias(self, f"{name}Live", alias_name="live", version=function.current_version)
        self.entries[spec.name] = entry
        if spec.queue:
            self._subscribe(entry, spec)
        if spec.schedule_minutes:
            events.Rule(
                self,
                f"{name}Schedule",
                description=f"Runs {spec.name} every {spec.schedule_minutes} minute(s)",
                schedule=events.Schedule.rate(cdk.Duration.minutes(spec.schedule_minutes)),
                targets=[targets.LambdaFunction(entry, retry_attempts=0)],  # the next tick is the retry
            )
        if spec.daily_at_utc_hour is not None:
            events.Rule(
                self,
                f"{name}DailySchedule",
                description=f"Runs {spec.name} once a day at {spec.daily_at_utc_hour:02d}:00 UTC",
                schedule=events.Schedule.cron(minute="0", hour=str(spec.daily_at_utc_hour)),
                targets=[targets.LambdaFunction(entry, retry_attempts=2)],
            )
        permissions.acknowledge_findings(spec, role, self._config, self._data.buckets)
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to python3.13 on purpose: the layer's compiled wheels (pydantic-core) are built for "
            "cp313 by scripts/build-layer.sh, so a runtime move must rebuild and retest the layer with it.",
        )
        return function

    def _environment(self, spec: manifest.Function) -> dict[str, str]:
        values = {
            "SECRETS_PREFIX": self._config.secrets_prefix,
            "HALO_ENV": self._config.halo_env,
            "HALO_LINK_ENDPOINT": self._config.halo_link_endpoint,
            **{t.env: self._data.tables[t.key].table_name for t in manifest.TABLES},
            **{q.env: self._messaging.queues[q.key].queue_url for q in manifest.QUEUES},
            **{q.dlq_env: self._messaging.dead_letter_queues[q.key].queue_url for q in manifest.QUEUES},
            **{b.env: self._data.buckets[b.key].bucket_name for b in manifest.BUCKETS},
            **{k.env: self._data.keys[k.key].key_id for k in manifest.KEYS},
        }
        if self._config.pay_base_url:
            values["PAY_BASE_URL"] = self._config.pay_base_url
        if self._config.halo_acquirer:
            values["HALO_ACQUIRER"] = self._config.halo_acquirer
        if self._config.halo_base_url:
            values["HALO_BASE_URL"] = self._config.halo_base_url
        unknown = [name for name in spec.env if name not in values and name not in manifest.OPTIONAL_ENV]
        if unknown:
            raise ConfigError(f"{spec.name}: the stack does not know how to fill env {unknown}")
        return {
            **{name: values[name] for name in spec.env if name in values},
            "POWERTOOLS_SERVICE_NAME": manifest.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": manifest.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }

    def _subscribe(self, function: lambda_.IFunction, spec: manifest.Function) -> None:
        assert spec.queue is not None
        queue_spec = manifest.queue(spec.queue)
        if queue_spec.visibility_timeout_seconds < 6 * spec.timeout_seconds:
            raise ConfigError(
                f"{spec.queue}: visibility timeout {queue_spec.visibility_timeout_seconds}s is under 6x "
                f"{spec.name}'s {spec.timeout_seconds}s timeout; messages would be redelivered mid-flight"
            )
        # Grants the role exactly what the event source mapping needs on this queue (receive, delete,
        # change visibility, get attributes) and nothing wider.
        function.add_event_source(
            event_sources.SqsEventSource(
                self._messaging.queues[spec.queue],
                batch_size=spec.batch_size,
                report_batch_item_failures=True,
                max_concurrency=spec.max_concurrency,
            )
        )
