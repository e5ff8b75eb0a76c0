#!/usr/bin/env bash
# Fails with a diff when the committed bindings differ from what the generator makes of the headers.
exec "$(dirname "${BASH_SOURCE[0]}")/regenerate.sh" --check "$@"
