#!/usr/bin/env bash
# The official MCP conformance suite, as CI runs it (after npm test): every required scenario of
# both revisions against the test-only fixture agent, the 2025-era session lifecycle, and the same
# requirement sets against the product route /mcp/sales with its check-by-check baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
run() { echo "::: conformance $*"; node dist/scripts/conformance.js "$@"; }
run --requirements 2026-07-28
run --requirements 2025-11-25
run --scenario server-session-lifecycle
run --agent sales --requirements 2026-07-28 --expected-failures conformance/sales-2026-07-28.yml
run --agent sales --requirements 2025-11-25 --expected-failures conformance/sales-2025-11-25.yml
