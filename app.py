#!/usr/bin/env python3
"""CDK entry point: `python app.py` synthesizes offline (no AWS account, no Docker).

Context (cdk.json defaults, override with `cdk synth -c key=value`): stage (dev), haloEnv (dev|qa|prod),
haloLinkEndpoint (applink|qrCode; applink), apiGatewayAccountRole (true), and the optional payDomain with
payCertificateArn (a custom domain for the shopper's page and payUrl).
"""

from __future__ import annotations

import sys

from infra.application import build_app
from infra.config import ConfigError


def main() -> None:
    try:
        app, _ = build_app()
    except ConfigError as error:
        sys.exit(f"halotap: {error}")
    app.synth()


if __name__ == "__main__":
    main()
