"""In-memory fakes of halotap's ports, for use-case tests that run in milliseconds.

The checkout store's fake is held to DynamoDB's conditional semantics by one contract suite that runs
against it and the moto-backed store alike (tests/contract), so it cannot drift from the real one.
"""
