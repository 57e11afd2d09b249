#!/usr/bin/env bash
# Installs what the test suite needs and is missing: the npm packages of the
# real OpenID Provider, Debian's chromium (browser tests) and redis-server.
# As root it installs with apt-get; otherwise it stops and names what to
# install. Nothing here downloads a browser or binary of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)

if ((${#missing[@]})); then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "deps: installing ${missing[*]} with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "deps: missing ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]}) and run again" >&2
		exit 1
	fi
fi

if [[ ! -d e2e/op/node_modules/oidc-provider ]]; then
	echo "deps: npm ci in e2e/op"
	(cd e2e/op && npm ci --no-audit --no-fund --loglevel=error)
fi
