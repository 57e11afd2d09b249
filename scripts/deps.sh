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

# oidc-provider 9 needs Node.js 20.18 or newer (URL.parse); Debian 12's own
# nodejs is 18, so an old node is reported rather than "fixed" with apt.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'; then
	echo "deps: Node.js $(node --version) is too old for oidc-provider 9: install Node.js 20.18+ (e.g. from NodeSource)" >&2
	exit 1
fi

if [[ ! -d e2e/op/node_modules/oidc-provider ]]; then
	echo "deps: npm ci in e2e/op"
	(cd e2e/op && npm ci --no-audit --no-fund --loglevel=error)
fi
