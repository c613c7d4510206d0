"""The hosted checkout page's presentation: which path a phone gets, which language a shopper reads, and
the HTML. `halotap.adapters.page` turns it into API Gateway responses.

Only `checkout_page` imports this package; Babel (CLDR data) and the message catalogs load inside it,
lazily, per language, on the first request that needs them (docs/architecture.md, "The hosted page").
"""
