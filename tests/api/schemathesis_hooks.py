"""schemathesis hooks for OpenTI: the ingest route takes NDJSON text (application/x-ndjson),
which schemathesis sends like text/plain."""
import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
