"""schemathesis hooks for OpenTI: the ingest routes take NDJSON (application/x-ndjson) and
Markdown (text/markdown) text, which schemathesis sends like text/plain."""
import schemathesis

schemathesis.serializer.alias(["application/x-ndjson", "text/markdown"], "text/plain")
