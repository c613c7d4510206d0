"""The halotap stack: data, messaging, functions and the API, all driven by infra/manifest.py."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from infra import manifest
from infra.api import Api
from infra.config import StackConfig, pascal
from infra.data import Data
from infra.functions import Functions
from infra.messaging import Messaging
from infra.monitoring import Monitoring


class HalotapStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=config.stack_name,
            description=f"halotap ({config.stage}): Halo Dot Tap on Own Device checkouts for PSPs",
            termination_protection=not config.ephemeral,
        )
        self.config = config
        self.data = Data(self, "Data", config=config)
        self.messaging = Messaging(self, "Messaging", config=config)
        self.functions = Functions(self, "Functions", config=config, data=self.data, messaging=self.messaging)
        self.api = Api(self, "Api", config=config, functions=self.functions)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            messaging=self.messaging,
            stage=self.api.rest_api.deployment_stage,
        )
        for key in self.data.secrets:
            cdk.CfnOutput(
                self,
                f"{pascal(key)}SecretName",
                value=f"{config.secrets_prefix}/{key}",
                description="Secrets Manager secret the operator fills or reads after deploy",
            )
        cdk.CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.monitoring.topic.topic_arn,
            description="SNS topic every alarm publishes to, on ALARM and on OK: subscribe your on-call to it",
        )
        # What the operator command (halotap-notifications) and dashboards need to find.
        cdk.CfnOutput(self, "CheckoutsTableName", value=self.data.tables["checkouts"].table_name)
        # What `halotap-admin ledger run` needs besides those (tools/ledger_cli.py).
        cdk.CfnOutput(self, "EventsTableName", value=self.data.tables["events"].table_name)
        # What `halotap-admin clients show` reads keys' labels and last use from (tools/client_access.py).
        cdk.CfnOutput(self, "IntegrationsTableName", value=self.data.tables["integrations"].table_name)
        cdk.CfnOutput(self, "LedgerBucketName", value=self.data.buckets["ledger"].bucket_name)
        for spec in manifest.QUEUES:
            cdk.CfnOutput(
                self, f"{pascal(spec.key)}QueueUrl", value=self.messaging.queues[spec.key].queue_url
            )
            cdk.CfnOutput(
                self, f"{pascal(spec.key)}DlqUrl", value=self.messaging.dead_letter_queues[spec.key].queue_url
            )
        cdk.Tags.of(self).add("service", "halotap")
        cdk.Tags.of(self).add("stage", config.stage)
