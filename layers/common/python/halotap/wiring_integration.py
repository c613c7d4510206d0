"""The part of `halotap.wiring.Services` that builds what a PSP changes about its own integration: webhook
endpoints (their store with KMS-sealed secrets, the delivery log, the use cases over them) and API keys. Its own module to keep wiring.py small; Services
inherits it, so `services.webhook_endpoints` and the rest read as any other service.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from halotap.adapters.deliveries import DynamoDeliveryLog
    from halotap.adapters.dynamo.endpoints import DynamoEndpointStore
    from halotap.app.api_keys import ApiKeyService, ApiKeyStore
    from halotap.app.endpoints import EndpointService
    from halotap.app.fanout import EndpointDirectory, EndpointHealth


class IntegrationWiring:
    @property
    def _services(self) -> Any:
        """The Services this is mixed into (typed Any: this layer sits below halotap.wiring)."""
        return self

    @cached_property
    def api_key_store(self) -> ApiKeyStore:
        from halotap.adapters.dynamo.api_keys import DynamoApiKeyStore

        return DynamoApiKeyStore(
            lambda: self._services.config.integrations_table,
            client=self._services._dynamodb,
            clock=self._services.clock,
        )

    @cached_property
    def api_keys(self) -> ApiKeyService:
        from halotap.app.api_keys import ApiKeyService

        return ApiKeyService(self.api_key_store, self._services.secrets, clock=self._services.clock)

    @cached_property
    def endpoint_store(self) -> DynamoEndpointStore:
        from halotap.adapters.dynamo.endpoints import DynamoEndpointStore
        from halotap.adapters.kms import SecretSealer

        sealer = SecretSealer(lambda: self._services.config.signing_key_id, client=self._services._kms)
        return DynamoEndpointStore(
            lambda: self._services.config.integrations_table, sealer, client=self._services._dynamodb
        )

    @cached_property
    def delivery_log(self) -> DynamoDeliveryLog:
        from halotap.adapters.deliveries import DynamoDeliveryLog

        return DynamoDeliveryLog(lambda: self._services.config.events_table, client=self._services._dynamodb)

    @cached_property
    def endpoint_directory(self) -> EndpointDirectory:
        from halotap.app.fanout import EndpointDirectory

        return EndpointDirectory(self.endpoint_store, self._services.secrets)

    @cached_property
    def endpoint_health(self) -> EndpointHealth:
        from halotap.app.fanout import EndpointHealth

        return EndpointHealth(
            self.endpoint_store,
            self._services.event_log,
            self._services.notifications_queue,
            disable_after=self._services.config.endpoint_disable_after,
            clock=self._services.clock,
        )

    @cached_property
    def webhook_endpoints(self) -> EndpointService:
        from halotap.app.endpoints import EndpointService

        return EndpointService(
            store=self.endpoint_store,
            directory=self.endpoint_directory,
            url_guard=self._services.url_guard,
            post=self._services.post_notification,
            feed=self._services.event_log,
            log=self.delivery_log,
            checkouts=self._services.store,
            notifications=self._services.notifications_queue,
            rotation_overlap=self._services.config.secret_rotation_overlap,
            clock=self._services.clock,
        )
