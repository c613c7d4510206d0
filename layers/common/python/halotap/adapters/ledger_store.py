"""The only code that talks to the ledger bucket: each merchant-day's report, as JSON and as CSV.

Keys: `ledger/{merchantId}/{date}.json` and `ledger/{merchantId}/{date}.csv`. The CSV is written line by
line to a temporary file in /tmp (Lambda gives 512 MB of it) and then uploaded with `upload_file`, which
switches to a multipart upload past 8 MB: memory holds one line at a time, whatever the size of the day.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from halotap.domain.errors import DependencyUnavailable

JSON_TYPE = "application/json"
# Lambda answers API Gateway with at most 6 MB; a bigger report is handed out as a short-lived S3 link.
INLINE_LIMIT_BYTES = 5 * 1024 * 1024
LINK_SECONDS = 300
CSV_TYPE = "text/csv; charset=utf-8"


def report_key(merchant_id: str, date: str, extension: str) -> str:
    return f"ledger/{merchant_id}/{date}.{extension}"


class RowWriter(Protocol):
    def writerow(self, row: Sequence[str]) -> Any: ...


class LedgerReports:
    def __init__(self, bucket: Callable[[], str], client: Any = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from halotap.adapters import aws

            self._client = aws.client("s3")
        return self._client

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self._bucket(), **kwargs)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) in ("SlowDown", "InternalError", "503"):
                raise DependencyUnavailable("S3 is throttling or unavailable; retry shortly") from error
            raise
        except BotoCoreError as error:
            raise DependencyUnavailable("S3 could not be reached; retry shortly") from error

    def put_json(self, merchant_id: str, date: str, body: dict[str, Any]) -> str:
        key = report_key(merchant_id, date, "json")
        self._call(
            "put_object",
            Key=key,
            Body=json.dumps(body, separators=(",", ":")).encode(),
            ContentType=JSON_TYPE,
        )
        return key

    def get(self, merchant_id: str, date: str, extension: str) -> bytes | str | None:
        """The report's bytes; past INLINE_LIMIT_BYTES a presigned GET URL instead; None before any run."""
        from botocore.exceptions import ClientError

        key = report_key(merchant_id, date, extension)
        try:
            answer = self._call("get_object", Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404"):
                return None
            raise
        if int(answer.get("ContentLength") or 0) > INLINE_LIMIT_BYTES:
            answer["Body"].close()
            url: str = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket(), "Key": key}, ExpiresIn=LINK_SECONDS
            )
            return url
        body: bytes = answer["Body"].read()
        return body

    @contextmanager
    def csv(self, merchant_id: str, date: str, header: Sequence[str]) -> Iterator[RowWriter]:
        """A CSV writer whose lines go to a temporary file, uploaded when the block ends without error."""
        key = report_key(merchant_id, date, "csv")
        handle, path = tempfile.mkstemp(prefix="ledger-", suffix=".csv")
        try:
            with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(header)
                yield writer
            from boto3.exceptions import S3UploadFailedError
            from botocore.exceptions import BotoCoreError

            try:
                self.client.upload_file(path, self._bucket(), key, ExtraArgs={"ContentType": CSV_TYPE})
            except (BotoCoreError, S3UploadFailedError) as error:
                raise DependencyUnavailable("the CSV report could not be uploaded to S3") from error
        finally:
            os.unlink(path)
