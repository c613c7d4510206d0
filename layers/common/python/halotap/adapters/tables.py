"""The checkouts table's index names and due-index sharding: shared with infra/manifest.py, which declares them."""

HALO_REFERENCE_INDEX = "byHaloReference"
DUE_INDEX = "byDue"
# Every checkout by merchant, newest first (sort key createdAt): GET /v1/checkouts lists through it.
MERCHANT_CREATED_INDEX = "byMerchantCreated"
# The sparse due index is keyed by shard, so a thousand open checkouts never pile onto one partition.
DUE_SHARDS = 8
# Sparse: only approved checkouts carry haloTransactionId. The daily ledger finds a Halo refund's checkout
# through it (the refund record names the payment's transaction id, not the checkout).
HALO_TRANSACTION_INDEX = "byHaloTransactionId"
