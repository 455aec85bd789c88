#!/bin/sh
# fargate-prom: start script of the Prometheus agent sidecar. POSIX sh (busybox in the Prometheus
# image, dash in tests). Reads the ECS task id from the task metadata endpoint, writes the agent
# config from $PROM_AGENT_CONFIG with the task id as the `instance` label, and execs Prometheus in
# agent mode with the flag its major version understands.
set -eu

PROMETHEUS_BIN="${PROMETHEUS_BIN:-/bin/prometheus}"
CONFIG_FILE="${PROM_CONFIG_FILE:-/etc/prometheus/agent.yml}"
STORAGE_PATH="${PROM_STORAGE_PATH:-/prometheus/agent}"
LISTEN_ADDRESS="${PROM_LISTEN_ADDRESS:-0.0.0.0:9090}"
METADATA_WAIT_SECONDS="${METADATA_WAIT_SECONDS:-60}"

log() { echo "fargate-prom-agent: $*" >&2; }

# busybox wget is in the Prometheus image; curl is the fallback elsewhere. One attempt, bounded:
# a stuck endpoint must not hold the wait below past its deadline (wget's own read timeout is
# 900 s, and GNU wget would retry it 20 times; busybox wget has no -t).
fetch() {
  if command -v wget >/dev/null 2>&1; then
    case "$(wget --version 2>/dev/null | head -n 1)" in
      GNU*) wget -q -T 2 -t 1 -O- "$1" ;;
      *) wget -q -T 2 -O- "$1" ;;
    esac
  else
    curl -fsS --max-time 2 "$1"
  fi
}

if [ -z "${PROM_AGENT_CONFIG:-}" ]; then
  log "PROM_AGENT_CONFIG is empty: no configuration to run"
  exit 1
fi
if [ -z "${ECS_CONTAINER_METADATA_URI_V4:-}" ]; then
  log "ECS_CONTAINER_METADATA_URI_V4 is not set: this needs ECS on Fargate platform version 1.4.0 or later"
  exit 1
fi

# The endpoint can answer errors for a moment while the task starts: retry, but not forever.
# Wall-clock time, not a count of pauses: each attempt can itself take up to its timeout.
task_id=""
started=$(date +%s)
while :; do
  if doc=$(fetch "$ECS_CONTAINER_METADATA_URI_V4/task" 2>/dev/null); then
    task_id=$(printf '%s\n' "$doc" | sed -n 's/.*"TaskARN"[[:space:]]*:[[:space:]]*"arn:[^"]*\/\([^"/]*\)".*/\1/p' | head -n 1)
    [ -n "$task_id" ] && break
  fi
  if [ $(($(date +%s) - started)) -ge "$METADATA_WAIT_SECONDS" ]; then
    log "task metadata endpoint $ECS_CONTAINER_METADATA_URI_V4/task gave no TaskARN within ${METADATA_WAIT_SECONDS}s; not starting (series could not carry the task id)"
    exit 1
  fi
  sleep 1
done

# Prometheus 3 takes --agent; 2.x took --enable-feature=agent, which 3.x would ignore and run as a server.
major=$("$PROMETHEUS_BIN" --version 2>&1 | sed -n 's/^prometheus, version \([0-9][0-9]*\)\..*/\1/p' | head -n 1)
if [ -z "$major" ]; then
  log "could not read the Prometheus version; assuming 2.x"
  major=2
fi
if [ "$major" -ge 3 ]; then agent_flag=--agent; else agent_flag=--enable-feature=agent; fi

mkdir -p "$(dirname "$CONFIG_FILE")" "$STORAGE_PATH"
printf '%s\n' "$PROM_AGENT_CONFIG" | sed "s/__ECS_TASK_ID__/$task_id/g" > "$CONFIG_FILE"
log "task $task_id: starting Prometheus $major.x in agent mode ($agent_flag)"
exec "$PROMETHEUS_BIN" "$agent_flag" \
  --config.file="$CONFIG_FILE" \
  --storage.agent.path="$STORAGE_PATH" \
  --web.listen-address="$LISTEN_ADDRESS"
