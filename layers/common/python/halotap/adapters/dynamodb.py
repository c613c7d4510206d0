"""The checkouts table's adapter, by its old name: the code lives in `halotap.adapters.dynamo`."""

from halotap.adapters.dynamo.checkouts import CheckoutStore
from halotap.adapters.dynamo.items import checkout_key, due_shard

__all__ = ["CheckoutStore", "checkout_key", "due_shard"]
