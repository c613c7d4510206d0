"""The REST API: one method per manifest route, the PSP key authorizer, problem+json gateway responses."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_logs as logs
from constructs import Construct

from halotap.domain.api_keys import REVOCATION_SECONDS
from halotap.domain.rate_limit import DEFAULT_BURST, DEFAULT_RATE
from infra import manifest
from infra.config import ConfigError, StackConfig
from infra.functions import LOG_RETENTION, Functions
from infra.nag import acknowledge

PROBLEM_JSON = "application/problem+json"
GENERIC_RESPONSES = ("DEFAULT_4XX", "DEFAULT_5XX")  # each covers many statuses, so none is fixed
# A revoked key is refused within this: the authorizer reads the key's state on every call it gets, so API
# Gateway's cache of its answer is the only delay (halotap.domain.api_keys.REVOCATION_SECONDS).
AUTHORIZER_CACHE_TTL = cdk.Duration.seconds(REVOCATION_SECONDS)
# The stage's limit, over every client together: the capacity model's (docs/performance.md).
THROTTLE_RATE_PER_SECOND = 50
THROTTLE_BURST = 100
# Neither the shopper's page nor Halo's webhook has an API key, so no usage plan meters them: each has its
# own method-level limit, and no client's burst takes from it.
SHOPPER_PAGE_RATE_PER_SECOND = 200
SHOPPER_PAGE_BURST = 400
# The shopper's "Try again" asks Halo for a new link per press, and a shopper presses it seldom.
SHOPPER_ATTEMPT_RATE_PER_SECOND = 10
SHOPPER_ATTEMPT_BURST = 20
HALO_WEBHOOK_RATE_PER_SECOND = 100
HALO_WEBHOOK_BURST = 200
WEBHOOK_PATH = manifest.function("halo_webhook").routes[0].path

# Why each function's routes may skip the PSP key authorizer (cdk-nag APIG4 and COG4). A public route of a
# function not listed here fails synthesis, so none is opened by accident.
PUBLIC_ROUTE_REASONS = {
    "halo_webhook": (
        "Halo calls this webhook without credentials (its webhooks carry no signature or auth header); "
        "the handler authenticates the path token against the halo-webhook secret in constant time "
        "and halo_webhook may only read that secret and send to the halo-events queue."
    ),
    "checkout_page": (
        "The hosted checkout page is opened by shoppers, who have no credentials: the checkout id in the "
        "path (128 random bits) is the capability, the page shows only merchant, amount and status, and "
        "checkout_page may only GetItem on the checkouts table."
    ),
    "new_attempt": (
        "The shopper's 'Try again' on the hosted page carries no credentials: the checkout id in the path "
        "(128 random bits) is the capability. It can only ask Halo for a new link of an open checkout whose "
        "last attempt failed, within its maxAttempts, so it moves no money and shows no PSP data."
    ),
}

# One JSON object per request. $context.path is left out on purpose: the webhook path carries the
# Halo token, and resourcePath logs the template (/v1/halo/webhooks/{token}) instead.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "authorizerError": "$context.authorizer.error",
    "clientId": "$context.authorizer.clientId",
    "xrayTraceId": "$context.xrayTraceId",
}


def problem_template(response: manifest.GatewayResponse) -> str:
    """The response body as API Gateway's template: manifest.problem_body, made honest for the catch-alls.

    DEFAULT_4XX/5XX answer with whatever status the underlying error has (403, 413, 415, 504, ...), so
    their body drops the fixed "status" (RFC 9457 makes it optional, and wrong is worse than absent) and
    carries API Gateway's own message as the detail. $context.error.messageString is already quoted JSON.
    """
    body = manifest.problem_body(response)
    for value in body.values():
        if isinstance(value, str) and ("$" in value or "#" in value):
            raise ConfigError(f"gateway response {response.kind}: '$' and '#' are template syntax: {value!r}")
    body["requestId"] = "__REQUEST_ID__"  # the id support can trace, as in every problem a function answers
    if response.kind in GENERIC_RESPONSES:
        del body["status"]
        body["detail"] = "__DETAIL__"
    return (
        json.dumps(body)
        .replace('"__DETAIL__"', "$context.error.messageString")
        .replace("__REQUEST_ID__", "$context.requestId")
    )


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, functions: Functions
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=LOG_RETENTION, removal_policy=config.removal_policy
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=config.stack_name,
            description="halotap: PSP checkouts API and Halo webhook intake",
            # Regional: the callers are PSP servers and Halo, not browsers worldwide; no CloudFront hop.
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=config.api_gateway_account_role,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # full request logging would write API keys and tokens to logs
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=THROTTLE_RATE_PER_SECOND,
                throttling_burst_limit=THROTTLE_BURST,
                # Shoppers' pages poll every 2 s; their own limit keeps a busy sale from throttling the PSP API.
                method_options={
                    **{
                        f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                            throttling_rate_limit=SHOPPER_PAGE_RATE_PER_SECOND,
                            throttling_burst_limit=SHOPPER_PAGE_BURST,
                        )
                        for route in manifest.function("checkout_page").routes
                    },
                    **{
                        f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                            throttling_rate_limit=SHOPPER_ATTEMPT_RATE_PER_SECOND,
                            throttling_burst_limit=SHOPPER_ATTEMPT_BURST,
                        )
                        for route in manifest.function("new_attempt").routes
                        if not route.authorized
                    },
                    f"{WEBHOOK_PATH}/POST": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=HALO_WEBHOOK_RATE_PER_SECOND,
                        throttling_burst_limit=HALO_WEBHOOK_BURST,
                    ),
                },
            ),
            # Each PSP request is metered under the usage plan holding the API key whose value the
            # authorizer returns (usageIdentifierKey): the client's rate limit (tools/usage_plans.py).
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
        )
        # The default plan; a client with its own limit gets its own plan from `halotap-admin clients
        # rate-limit`. Clients are not known at deploy, so their API keys are the operator command's too.
        self.usage_plan = self.rest_api.add_usage_plan(
            "DefaultUsagePlan",
            name=f"{config.secrets_prefix}/default",
            description="halotap PSP clients without a rate limit of their own",
            throttle=apigw.ThrottleSettings(rate_limit=DEFAULT_RATE, burst_limit=DEFAULT_BURST),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "PspApiKeyAuthorizer",
            handler=functions.authorizer,
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        self._public: dict[
            tuple[str, str], str
        ] = {}  # route -> its function, for routes without the authorizer
        for spec in (s for s in manifest.FUNCTIONS if s.routes):
            integration = apigw.LambdaIntegration(functions.entry(spec.name), allow_test_invoke=False)
            for route in spec.routes:
                self.methods[(route.method, route.path)] = self._method(spec, route, integration)
        for path, allowed in manifest.methods_by_path().items():
            self._method_not_allowed(path, allowed)
        for response in manifest.GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                f"{response.kind.title().replace('_', '')}Response",
                type=apigw.ResponseType.of(response.kind),
                status_code=None if response.kind in GENERIC_RESPONSES else str(response.status),
                response_headers={
                    "Content-Type": f"'{PROBLEM_JSON}'",
                    **{name: f"'{value}'" for name, value in response.headers},
                },
                templates={"application/json": problem_template(response)},
            )
        self._acknowledge()
        if config.pay_domain and config.pay_certificate_arn:
            self._pay_domain(scope, config.pay_domain, config.pay_certificate_arn)
        cdk.CfnOutput(scope, "ApiUrl", value=self.rest_api.url, description="Base URL of the halotap API")
        cdk.CfnOutput(
            scope,
            "DefaultUsagePlanId",
            value=self.usage_plan.usage_plan_id,
            description="The clients' default usage plan; halotap-admin finds it by its name, "
            f"{config.secrets_prefix}/default",
        )
        cdk.CfnOutput(
            scope,
            "HaloWebhookUrl",
            value=self.rest_api.url_for_path(WEBHOOK_PATH),
            description=(
                "The webhook URL to register with Halo: replace {token} with the 'token' value of the secret "
                f"{config.secrets_prefix}/halo-webhook"
            ),
        )

    def _pay_domain(self, scope: Construct, domain: str, certificate_arn: str) -> None:
        """The custom domain payUrl points at (PAY_BASE_URL), mapped to this stage at its root."""
        domain_name = self.rest_api.add_domain_name(
            "PayDomain",
            domain_name=domain,
            certificate=acm.Certificate.from_certificate_arn(self, "PayCertificate", certificate_arn),
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        cdk.CfnOutput(
            scope,
            "PayDomainTarget",
            value=domain_name.domain_name_alias_domain_name,
            description=f"Point a CNAME (or an alias record) for {domain} at this regional API Gateway domain",
        )

    def _method(
        self, spec: manifest.Function, route: manifest.Route, integration: apigw.LambdaIntegration
    ) -> apigw.Method:
        resource = self.rest_api.root.resource_for_path(route.path)
        if route.authorized:
            return resource.add_method(
                route.method,
                integration,
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.CUSTOM,
                api_key_required=True,  # the key is the authorizer's usageIdentifierKey, never a header
            )
        if spec.name not in PUBLIC_ROUTE_REASONS:
            raise ConfigError(
                f"{route.method} {route.path} has no authorizer and no reason in PUBLIC_ROUTE_REASONS"
            )
        method = resource.add_method(
            route.method, integration, authorization_type=apigw.AuthorizationType.NONE
        )
        self._public[(route.method, route.path)] = spec.name
        acknowledge(method, "AwsSolutions-APIG4", PUBLIC_ROUTE_REASONS[spec.name])
        return method

    def _method_not_allowed(self, path: str, allowed: tuple[str, ...]) -> None:
        """ANY on the path, for the methods it does not take: 405 with Allow, from a mock integration.

        API Gateway prefers a resource's own method to ANY, so routed methods are untouched; without this
        a wrong method is API Gateway's 403 MISSING_AUTHENTICATION_TOKEN, which the manifest renders 404.
        """
        headers = {"Allow": f"'{', '.join(allowed)}'", "Content-Type": f"'{PROBLEM_JSON}'"}
        integration = apigw.MockIntegration(
            request_templates={"application/json": '{"statusCode": 405}'},
            passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_MATCH,
            integration_responses=[
                apigw.IntegrationResponse(
                    status_code="405",
                    response_parameters={f"method.response.header.{n}": v for n, v in headers.items()},
                    response_templates={"application/json": problem_template(manifest.METHOD_NOT_ALLOWED)},
                )
            ],
        )
        method = self.rest_api.root.resource_for_path(path).add_method(
            "ANY",
            integration,
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(
                    status_code="405",
                    response_parameters={f"method.response.header.{n}": True for n in headers},
                )
            ],
        )
        reason = (
            f"ANY {path} only answers 405 with the Allow header, from a mock integration: no Lambda runs and "
            "nothing is read or written, and the path and its methods are public in the OpenAPI document."
        )
        acknowledge(method, "AwsSolutions-APIG4", reason)
        acknowledge(method, "AwsSolutions-COG4", reason)

    def _acknowledge(self) -> None:
        cloud_watch_role = self.rest_api.node.try_find_child("CloudWatchRole")
        if cloud_watch_role is not None:
            acknowledge(
                cloud_watch_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-wide CloudWatch role, which execution and access logging require: "
                "AWS documents this managed policy for it and keeps it current; it grants CloudWatch Logs "
                "actions only, and the role can be assumed by apigateway.amazonaws.com alone. Turn it off "
                "with -c apiGatewayAccountRole=false where the account already has one.",
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "Requests are validated in the handlers by the pydantic models the OpenAPI document is generated "
            "from, so a bad request gets halotap's problem+json with a field-level detail and a stable code; "
            "an API Gateway validator would duplicate those rules and answer with a less precise body.",
        )
        acknowledge(
            self.rest_api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL is created by this stack: every PSP route needs an API key checked by the "
            "authorizer, the webhook needs a 40-character secret path token, the shopper's checkout page "
            "needs an unguessable checkout id, and stage throttling caps the rate. A PSP that runs WAF "
            "associates its own web ACL with the stage.",
        )
        for (verb, path), method in self.methods.items():
            public = self._public.get((verb, path))
            acknowledge(
                method,
                "AwsSolutions-COG4",
                f"{verb} {path}: {PUBLIC_ROUTE_REASONS[public]}"
                if public
                else f"{verb} {path} is called server to server by a PSP, not by end users with Cognito "
                "identities; PSPs authenticate with API keys through the Lambda REQUEST authorizer.",
            )
