#!/bin/sh
# The tests run real Prometheus (Debian's 2.42: prometheus and promtool) and moto_server as the local AWS.
set -eu
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's prometheus package (prometheus, promtool) for the pipeline tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "the tests need prometheus and promtool on PATH: run 'sudo apt-get install prometheus' (Debian/Ubuntu)" >&2
    exit 1
  fi
fi
if ! command -v moto_server >/dev/null 2>&1; then
  echo "the tests need moto_server on PATH: run \"pip install 'moto[server]==5.2.1'\"" >&2
  exit 1
fi

# Debian 12's prometheus 2.42 sends remote writes unsigned even with a `sigv4` block (its patch
# 91-Disable_opentelemetry drops the line that installed the client's transport chain, SigV4 included).
# Debian 13's 2.53.3 signs: the tests run it as the agent that signs for itself. Fetched from Debian for
# this machine's architecture, checked against the SHA-256 in Debian 13's package index (the index of
# each architecture, itself checked against the signed InRelease), unpacked into .cache/ (nothing is
# installed).
SIGNING_DIR=.cache/prometheus-2.53.3
SIGNING_VERSION=2.53.3+ds1-2
machine=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$machine" in
  amd64|x86_64) arch=amd64 SIGNING_SHA256=58c3e6a86c56cb3bfd71032fa48d65945d526441a212f5815dfe5ed9cb787ecc ;;
  arm64|aarch64) arch=arm64 SIGNING_SHA256=59b459dee0ceef9c645a98166ea00f0d10946391a5d486505360e2d21cd1ddec ;;
  *) arch="" ;;
esac
if [ ! -x "$SIGNING_DIR/prometheus" ]; then
  if [ -z "$arch" ]; then
    echo "note: Debian's prometheus $SIGNING_VERSION is pinned for amd64 and arm64 only, not $machine: the test of the agent's own SigV4 signature cannot run (skipped here, a failure under CI)" >&2
  else
    SIGNING_DEB="prometheus_${SIGNING_VERSION}_$arch.deb"
    echo "fetching Debian's prometheus $SIGNING_VERSION for $arch (it SigV4-signs remote writes) into $SIGNING_DIR"
    tmp=$(mktemp -d)
    if curl -fsSL -o "$tmp/$SIGNING_DEB" "http://deb.debian.org/debian/pool/main/p/prometheus/$SIGNING_DEB" \
      && echo "$SIGNING_SHA256  $tmp/$SIGNING_DEB" | sha256sum -c --quiet -; then
      dpkg-deb -x "$tmp/$SIGNING_DEB" "$tmp/x" && mkdir -p "$SIGNING_DIR" && cp "$tmp/x/usr/bin/prometheus" "$SIGNING_DIR/prometheus"
    else
      echo "could not fetch or verify $SIGNING_DEB from deb.debian.org" >&2
      rm -rf "$tmp"
      exit 1
    fi
    rm -rf "$tmp"
  fi
fi
