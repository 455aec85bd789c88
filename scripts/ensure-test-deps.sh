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
