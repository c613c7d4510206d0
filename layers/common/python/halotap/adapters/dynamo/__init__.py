"""The checkouts table, split by reason to change (docs/architecture.md, "The layers").

- `table.py`: one DynamoDB client wrapper and its one error mapping, shared by every DynamoDB adapter;
- `items.py`: a Checkout and its item, both ways: the only module that knows attribute names;
- `expressions.py`: UpdateExpression building, from attribute paths to placeholders;
- `checkouts.py`: the store (`CheckoutStore`), the port `halotap.app.ports.CheckoutRepository`;
- `refunds.py`: the two refund writes whose conditions are not the version;
- `indexes.py`: the reads through the table's indexes (due, by merchant, by Halo reference).
"""
